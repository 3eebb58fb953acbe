package api

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/golang-lru/v2/simplelru"
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
// its own; the vault's DB-backed throttling counts across instances). It
// remembers at most maxBuckets keys, forgetting the least recently used
// first: a flood of new addresses pushes out the oldest buckets, never
// everyone's at once.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets *simplelru.LRU[string, *bucket]
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory.
const maxBuckets = 100_000

func newRateLimiter(perMinute, burst int) *rateLimiter {
	return newRateLimiterSize(perMinute, burst, maxBuckets)
}

func newRateLimiterSize(perMinute, burst, size int) *rateLimiter {
	lru, err := simplelru.NewLRU[string, *bucket](size, nil)
	if err != nil {
		panic("api: rate limiter size: " + err.Error()) // size is a positive constant
	}
	return &rateLimiter{rate: float64(perMinute) / 60, burst: float64(burst), buckets: lru, now: time.Now}
}

// allow takes a token for key, or says how long until one is available.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets.Add(key, b)
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

// clientKey is the rate-limit key of a client address: an IPv4 address as
// is, an IPv6 address by its /64 (one subscriber's whole network: a
// client holds billions of addresses in it). Anything unparsable is its
// own key.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// limit refuses a request over the client IP's rate with 429 and
// Retry-After.
func (s *server) limit(l *rateLimiter) gin.HandlerFunc {
	return func(c *gin.Context) { s.allow(c, l) }
}

// allow takes a token from l for the client IP, or answers 429 and returns
// false.
func (s *server) allow(c *gin.Context, l *rateLimiter) bool {
	ok, wait := l.allow(clientKey(c.ClientIP()))
	if !ok {
		e := *errRateLimited
		e.retryAfter = max(wait, time.Second)
		writeError(c, s.log, &e)
	}
	return ok
}
