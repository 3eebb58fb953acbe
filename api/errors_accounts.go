package api

import (
	"errors"
	"time"

	"github.com/coffre/coffre/vault"
)

// Errors of the accounts part of the vault (sessions, throttling, secrets).

func isThrottled(err error) bool { return errors.Is(err, vault.ErrThrottled) }

// retryAfter is how long a throttled caller must wait (at least a second).
func retryAfter(err error) time.Duration {
	var te *vault.ThrottledError
	if errors.As(err, &te) && te.RetryAfter > time.Second {
		return te.RetryAfter
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.retryAfter > time.Second {
		return ae.retryAfter
	}
	return time.Second
}

func isNoSession(err error) bool  { return errors.Is(err, vault.ErrNoSession) }
func isWeakSecret(err error) bool { return errors.Is(err, vault.ErrWeakSecret) }
