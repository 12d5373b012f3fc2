package server_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/metrics"
	"github.com/cambodia-sanctions/campaign/internal/server"
)

func TestMetricsOnlyForAllowedNetworksAndWithoutPersonalData(t *testing.T) {
	e := newEnv(t, func(o *server.Options) {
		o.Metrics = metrics.New(nil)
		o.MetricsAllow = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	})
	if w := e.postJSON("open-petition", `{"name":"Metric Signer","email":"metric@example.org","country":"KH"}`); w.Code != http.StatusCreated {
		t.Fatalf("sign: %d", w.Code)
	}
	e.postJSON("open-petition", `{"name":"","email":"bad","country":"KH"}`)
	if w := e.doFrom("192.0.2.9:1000", http.MethodGet, "/metrics", ""); w.Code != http.StatusNotFound {
		t.Errorf("/metrics from outside the allowlist: %d, want 404", w.Code)
	}
	w := e.doFrom("10.1.2.3:1000", http.MethodGet, "/metrics", "")
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics from the allowlist: %d, want 200", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{
		`campaign_signatures_total{outcome="accepted"} 1`,
		`campaign_signatures_total{outcome="invalid"} 1`,
		`campaign_http_request_duration_seconds_count{code="2xx",method="POST",route="/petitions/:slug/signatures"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{"metric@example.org", "Metric Signer", "open-petition", "192.0.2", "10.1.2.3"} {
		if strings.Contains(body, leak) {
			t.Errorf("metrics contain %q", leak)
		}
	}
}
