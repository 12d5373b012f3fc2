// Package ratelimit keeps short-lived, in-memory token buckets per client.
// Keys are opaque (a keyed hash of the client's network, made by the
// caller): nothing here can say who a client is, and buckets disappear as
// soon as they are full again.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Limiter allows each key a burst of Burst requests and then Rate requests
// per second on average.
type Limiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New allows requests per period per key, all of them at once if need be
// (the burst) but no more than that on average.
func New(requests int, per time.Duration, now func() time.Time) *Limiter {
	if requests < 1 {
		requests = 1
	}
	return &Limiter{
		rate:    float64(requests) / per.Seconds(),
		burst:   float64(requests),
		now:     now,
		buckets: map[string]*bucket{},
	}
}

// Allow takes a token from key's bucket. When none is left it reports how
// long until one is.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
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

// Len is the number of live buckets.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// sweep drops buckets that have refilled completely: they hold nothing a
// fresh bucket would not. It runs at most once per refill time.
func (l *Limiter) sweep(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	if now.Sub(l.lastSweep) < full {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
}
