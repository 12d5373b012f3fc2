package mail

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	bases := []time.Duration{
		30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour,
	}
	for i, base := range bases {
		attempts := i + 1
		for _, tt := range []struct {
			r    float64
			want time.Duration
		}{
			{0, base * 8 / 10},
			{0.5, base},
			{1, base * 12 / 10},
		} {
			if got := backoff(attempts, tt.r); got != tt.want {
				t.Errorf("backoff(%d, %v) = %v, want %v (%v with jitter at %v)", attempts, tt.r, got, tt.want, base, tt.r)
			}
		}
	}
	if got := backoff(1000, 0.5); got != time.Hour {
		t.Errorf("backoff after 1000 attempts = %v, want the 1h cap", got)
	}
}
