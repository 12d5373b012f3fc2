package ratelimit_test

import (
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/ratelimit"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

func TestBurstThenSustainedRate(t *testing.T) {
	clock := testutil.NewClock()
	l := ratelimit.New(5, time.Minute, clock.Now)
	for i := 0; i < 5; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d of the burst refused, want the first 5 allowed", i+1)
		}
	}
	ok, retry := l.Allow("a")
	if ok {
		t.Fatal("6th request within a minute allowed, want refused")
	}
	if retry < 11*time.Second || retry > 12*time.Second {
		t.Errorf("retry after %s, want about 12s (one token every 60s/5)", retry)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("another client refused: buckets must be per key")
	}
	clock.Advance(12 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("after waiting Retry-After, request refused")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Error("second request right after the refill allowed, want only one token refilled")
	}
}

func TestIdleBucketsExpire(t *testing.T) {
	clock := testutil.NewClock()
	l := ratelimit.New(5, time.Minute, clock.Now)
	for _, k := range []string{"a", "b", "c"} {
		l.Allow(k)
	}
	if l.Len() != 3 {
		t.Fatalf("%d buckets, want 3", l.Len())
	}
	clock.Advance(2 * time.Minute)
	l.Allow("d")
	if l.Len() != 1 {
		t.Errorf("%d buckets after the others went idle for 2 minutes, want 1 (only d)", l.Len())
	}
}
