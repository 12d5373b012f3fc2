package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/ratelimit"
	"github.com/cambodia-sanctions/campaign/internal/server"
)

func TestRateLimitRefusesAFloodFromOneClient(t *testing.T) {
	var e *env
	e = newEnv(t, func(o *server.Options) { o.RateLimit = ratelimit.New(3, time.Minute, o.Now) })
	sign := func(i int, remote string) *http.Response {
		body := fmt.Sprintf(`{"name":"Flood %d","email":"flood%d@example.org","country":"US"}`, i, i)
		w := e.doFrom(remote, http.MethodPost, "/petitions/open-petition/signatures", body, "Content-Type", "application/json")
		return w.Result()
	}
	for i := 0; i < 3; i++ {
		if r := sign(i, "203.0.113.7:5000"); r.StatusCode != http.StatusCreated {
			t.Fatalf("signature %d within the limit: %d, want 201", i, r.StatusCode)
		}
	}
	r := sign(3, "203.0.113.7:5001")
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th signature in a minute from one address: %d, want 429", r.StatusCode)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 20 {
		t.Errorf("Retry-After %q, want about 20 seconds", r.Header.Get("Retry-After"))
	}
	if r := sign(4, "198.51.100.9:5000"); r.StatusCode != http.StatusCreated {
		t.Errorf("another client refused (%d): the limit must be per client", r.StatusCode)
	}
	// Two addresses in one IPv6 /64 share a bucket.
	for i := 10; i < 13; i++ {
		sign(i, "[2001:db8:1:2::1]:5000")
	}
	if r := sign(13, "[2001:db8:1:2::ffff]:5000"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("another address in the same /64: %d, want 429", r.StatusCode)
	}
	if e.storedCount() != 1+3+3 {
		t.Errorf("stored %d signatures, want 7 (refused ones must not be stored)", e.storedCount())
	}
	e.clock.Advance(time.Minute)
	if r := sign(20, "203.0.113.7:5000"); r.StatusCode != http.StatusCreated {
		t.Errorf("after a minute the client is still refused: %d", r.StatusCode)
	}
}

func TestRateLimitPageIsFriendly(t *testing.T) {
	e := newEnv(t, func(o *server.Options) { o.RateLimit = ratelimit.New(1, time.Minute, o.Now) })
	e.postForm("open-petition", e.validForm("a@example.org"))
	w := e.postForm("open-petition", e.validForm("b@example.org"))
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("second form post: %d, want 429", w.Code)
	}
	mustContain(t, w.Body.String(), "Please wait a minute and try again")
}

func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	tests := []struct {
		name       string
		trusted    []string
		wantSecond int // status of a second signature from another X-Forwarded-For
	}{
		{"no trusted proxy: the header is ignored, one client", nil, http.StatusTooManyRequests},
		{"trusted proxy: each forwarded client has its own bucket", []string{"10.0.0.1"}, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *server.Options) {
				o.RateLimit = ratelimit.New(1, time.Minute, o.Now)
				o.TrustedProxies = tt.trusted
			})
			for i, xff := range []string{"203.0.113.1", "203.0.113.2"} {
				body := fmt.Sprintf(`{"name":"Proxied %d","email":"p%d@example.org","country":"US"}`, i, i)
				w := e.doFrom("10.0.0.1:4000", http.MethodPost, "/petitions/open-petition/signatures", body,
					"Content-Type", "application/json", "X-Forwarded-For", xff)
				want := http.StatusCreated
				if i == 1 {
					want = tt.wantSecond
				}
				if w.Code != want {
					t.Errorf("signature from %s via the proxy: %d, want %d", xff, w.Code, want)
				}
			}
		})
	}
}
