package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/meta"
)

// TestStopUndoneTellsNothing: an owner who stops sharing and takes it back
// within the minute leaves the worker's inbox as it was (no "stopped",
// no "shared again"); a stop she keeps reaches the worker once the minute
// has passed, on every engine.
func TestStopUndoneTellsNothing(t *testing.T) { engines(t, testStopUndoneTellsNothing) }

func testStopUndoneTellsNothing(t *testing.T, newWorld func(testing.TB) *world) {
	w := newWorld(t)
	w.clock.Set(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	in := w.open(t)
	o := in.owner(t, "fr", nil)
	worker, _ := in.worker(t, "Mme Morel")
	ctx := testCtx(t)
	d := in.add(t, o.p.ID(), "rib", "RIB", "contenu", time.Time{})
	k, err := in.v.GrantConsent(ctx, o.p, vault.NewConsent{
		Grantee: vault.Grantee{Kind: vault.KindWorker, ID: worker.ID()},
		Scope:   vault.Scope{Documents: []string{d.ID}}, Purpose: "Dossier RSA", Days: 31, ShowName: "Awa",
	})
	if err != nil {
		t.Fatal(err)
	}
	in.round(t)
	said := func() []string {
		var out []string
		for _, it := range in.inbox(t, worker) {
			out = append(out, it.Body)
		}
		return out
	}
	before := said()
	if len(before) != 1 {
		t.Fatalf("after the share, the worker's inbox: %q", before)
	}

	// Stopped, then taken back 20 seconds later: nothing reaches the
	// worker, then or after the minute.
	if err := in.v.RevokeConsent(ctx, o.p, k.ID); err != nil {
		t.Fatal(err)
	}
	in.round(t)
	w.clock.Add(20 * time.Second)
	in.round(t)
	if got := said(); len(got) != 1 {
		t.Fatalf("the worker was told of a stop that can still be undone: %q", got)
	}
	if err := in.v.UndoRevoke(ctx, o.p, k.ID); err != nil {
		t.Fatal(err)
	}
	in.round(t)
	w.clock.Add(2 * time.Minute)
	in.round(t)
	if got := said(); len(got) != 1 {
		t.Fatalf("after a stop and its undo, the worker's inbox: %q", got)
	}
	rows, err := in.db.OutboxOf(ctx, vault.KindWorker, worker.ID())
	if err != nil {
		t.Fatal(err)
	}
	dropped := 0
	for _, r := range rows {
		if strings.HasPrefix(r.IdemKey, "stopped:") {
			if r.State != meta.OutboxDropped {
				t.Errorf("stop message %s in state %s, want dropped", r.IdemKey, r.State)
			}
			dropped++
		}
	}
	if dropped == 0 {
		t.Error("no stop message was queued at all")
	}

	// Stopped for good: told once the minute has passed, not before.
	if err := in.v.RevokeConsent(ctx, o.p, k.ID); err != nil {
		t.Fatal(err)
	}
	in.round(t)
	if got := said(); len(got) != 1 {
		t.Fatalf("told before the minute to undo has passed: %q", got)
	}
	w.clock.Add(vault.UndoWindow + time.Second)
	in.round(t)
	got := said()
	if len(got) != 2 || !strings.Contains(got[0]+got[1], "Awa a arrêté de partager ses papiers avec vous") {
		t.Fatalf("a stop kept: the worker's inbox %q", got)
	}
}
