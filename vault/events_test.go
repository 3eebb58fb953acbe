package vault_test

import (
	"context"
	"sync"
	"testing"

	"github.com/coffre/coffre/vault"
)

// sinkRecorder is an EventSink that keeps what it got.
type sinkRecorder struct {
	mu     sync.Mutex
	owners []string
	events []vault.Event
	panics bool
}

func (r *sinkRecorder) JournalEvent(_ context.Context, ownerID string, e vault.Event) {
	r.mu.Lock()
	r.owners = append(r.owners, ownerID)
	r.events = append(r.events, e)
	r.mu.Unlock()
	if r.panics {
		panic("sink failure")
	}
}

// The journal hands each stored event to the sink once, with its time;
// a failing sink does not fail the recording; a detached sink gets nothing.
func TestEventSink(t *testing.T) {
	d := newAcctDir(t)
	in := d.open(t)
	rec := &sinkRecorder{}
	in.svc.SetEventSink(rec)
	owner, _ := in.signUp(t, "sinkowner")
	ctx := testCtx(t)
	journal, err := in.svc.Journal(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != len(journal) || len(journal) == 0 {
		t.Fatalf("sink got %d events, journal has %d", len(rec.events), len(journal))
	}
	for i, e := range rec.events {
		if rec.owners[i] != owner.ID() || e.Kind != journal[i].Kind || !e.At.Equal(journal[i].At) {
			t.Errorf("event %d: %s %+v, journal %+v", i, rec.owners[i], e, journal[i])
		}
	}
	rec.panics = true
	doc := in.addTyped(t, owner.ID(), "passeport", "Mon passeport", "x")
	if err := in.svc.Rename(ctx, owner, doc.ID, "Passeport"); err != nil {
		t.Fatalf("Rename with a panicking sink: %v", err)
	}
	n := len(rec.events)
	in.svc.SetEventSink(nil)
	if err := in.svc.Rename(ctx, owner, doc.ID, "Passeport 2"); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != n {
		t.Fatalf("detached sink got %d more events", len(rec.events)-n)
	}
	ad, err := in.svc.Addressee(ctx, vault.KindOwner, owner.ID())
	if err != nil || ad.PublicKey != owner.PublicKey() || ad.Lang != "fr" {
		t.Fatalf("Addressee = %+v, %v", ad, err)
	}
	if _, err := in.svc.PurposeIdentity(""); err == nil {
		t.Fatal("PurposeIdentity with no purpose")
	}
	a, _ := in.svc.PurposeIdentity("notify")
	b, _ := d.open(t).svc.PurposeIdentity("notify")
	c, _ := in.svc.PurposeIdentity("other")
	if a.String() != b.String() || a.String() == c.String() {
		t.Fatal("PurposeIdentity: same purpose must match across instances, others differ")
	}
}
