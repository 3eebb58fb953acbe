package api

import (
	"math"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// RateLimits bounds anonymous routes per client IP, on top of the vault's
// own per-account and per-IP throttling of secrets.
type RateLimits struct {
	// LoginPerMinute and LoginBurst: login, recovery and sign-up
	// (default 10 per minute, burst 10).
	LoginPerMinute, LoginBurst int
	// DropPerMinute and DropBurst: every drop-link route
	// (default 60 per minute, burst 30).
	DropPerMinute, DropBurst int
	// DropUploadsPerMinute and DropUploadBurst: drop-link uploads
	// (default 10 per minute, burst 10).
	DropUploadsPerMinute, DropUploadBurst int
}

func (r *RateLimits) defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&r.LoginPerMinute, 10)
	def(&r.LoginBurst, 10)
	def(&r.DropPerMinute, 60)
	def(&r.DropBurst, 30)
	def(&r.DropUploadsPerMinute, 10)
	def(&r.DropUploadBurst, 10)
}

// rateLimiter is a token bucket per key, in memory (each instance counts
// its own; the vault's DB-backed throttling counts across instances).
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory; full buckets are swept first.
const maxBuckets = 100_000

func newRateLimiter(perMinute, burst int) *rateLimiter {
	return &rateLimiter{
		rate: float64(perMinute) / 60, burst: float64(burst),
		buckets: map[string]*bucket{}, now: time.Now,
	}
}

// allow takes a token for key, or says how long until one is available.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// sweep forgets buckets that have refilled (they hold no information), and
// if that is not enough, every bucket.
func (l *rateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}

// limit refuses a request over the client IP's rate with 429 and
// Retry-After.
func (s *server) limit(l *rateLimiter) gin.HandlerFunc {
	return func(c *gin.Context) { s.allow(c, l) }
}

// allow takes a token from l for the client IP, or answers 429 and returns
// false.
func (s *server) allow(c *gin.Context, l *rateLimiter) bool {
	ok, wait := l.allow(c.ClientIP())
	if !ok {
		e := *errRateLimited
		e.retryAfter = max(wait, time.Second)
		writeError(c, s.log, &e)
	}
	return ok
}
