package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/coffre/coffre/vault"
)

// maintenanceEvery is how often an instance runs the vault's sweepers.
const maintenanceEvery = 5 * time.Minute

// runMaintenance runs the vault's periodic work until ctx ends: expired
// consents lose their key wraps (reads never wait for this: each read checks
// the consent), expired sessions and stale login counters go, abandoned
// multi-page uploads are erased. Every sweeper is safe to run on several
// instances at once. Only counts are logged.
func runMaintenance(ctx context.Context, v *vault.Service, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		sweepOnce(ctx, v, log)
		sweepStorage(ctx, v, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sweepOnce(ctx context.Context, v *vault.Service, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	warn := func(what string, err error) {
		if ctx.Err() == nil { // a shutdown is not worth a warning
			log.Warn("maintenance: "+what, "err", err)
		}
	}
	if n, err := v.ExpireConsents(ctx); err != nil {
		warn("expire consents", err)
	} else if n > 0 {
		log.Info("maintenance: consents expired", "count", n)
	}
	if sessions, counters, err := v.SweepAccounts(ctx); err != nil {
		warn("sweep accounts", err)
	} else if sessions+counters > 0 {
		log.Info("maintenance: sessions and login counters removed", "sessions", sessions, "counters", counters)
	}
	if uploads, strays, err := v.ExpirePending(ctx); err != nil {
		warn("expire pending uploads", err)
	} else if uploads+strays > 0 {
		log.Info("maintenance: abandoned uploads erased", "uploads", uploads, "pages", strays)
	}
}
