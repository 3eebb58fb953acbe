package converter

import (
	"bytes"
	"context"
	"errors"
	"image"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/converter/scan"
)

// TestOnWaitReportsSlotWaits: with one slot, an input that finds it taken
// reports how long it waited; one that finds it free reports about
// nothing; a wait ended by the context is reported too.
func TestOnWaitReportsSlotWaits(t *testing.T) {
	const hold = 300 * time.Millisecond
	var mu sync.Mutex
	var waits []time.Duration
	entered, release := make(chan struct{}, 4), make(chan struct{})
	inner := stubScanner(false, false)
	c := &Converter{
		MaxConcurrent: 1,
		OnWait: func(d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
		},
		Scanner: ScanFunc(func(ctx context.Context, src image.Image, o scan.Options) (scan.Result, error) {
			entered <- struct{}{}
			<-release
			return inner.Scan(ctx, src, o)
		}),
	}
	photo := encodeJPEG(t, docImage(400, 300, 1), 85)
	convert := func(ctx context.Context) error {
		_, err := c.Convert(ctx, []Input{{Data: photo}}, Options{}, &bytes.Buffer{})
		return err
	}
	errs := make(chan error, 2)
	go func() { errs <- convert(context.Background()) }()
	<-entered // the first conversion holds the only slot
	go func() { errs <- convert(context.Background()) }()
	// A third one gives up while waiting.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := convert(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting conversion with an ended context: %v", err)
	}
	time.Sleep(hold)
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(waits)
	t.Logf("waits: %v", waits)
	if len(waits) != 3 {
		t.Fatalf("%d waits reported, want 3: %v", len(waits), waits)
	}
	if waits[0] > 50*time.Millisecond {
		t.Errorf("the first input found the slot free but reports %v", waits[0])
	}
	if waits[1] < 40*time.Millisecond || waits[1] > hold {
		t.Errorf("the abandoned wait reports %v, want about 50ms", waits[1])
	}
	if waits[2] < hold {
		t.Errorf("the second input waited at least %v but reports %v", hold, waits[2])
	}
}
