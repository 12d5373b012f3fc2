package loadtest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/loadtest"
)

func TestRunCountsRequestsAndErrors(t *testing.T) {
	var signs, emails atomic.Int64
	seen := make(chan string, 100000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			signs.Add(1)
			if strings.Contains(string(body), `"email":"load-`) {
				emails.Add(1)
				select {
				case seen <- string(body):
				default:
				}
			}
			w.WriteHeader(http.StatusCreated)
			return
		}
		w.Write([]byte("<html>article</html>"))
	}))
	defer srv.Close()
	r, err := loadtest.Run(t.Context(), loadtest.Options{BaseURL: srv.URL, Mode: "sign", Petition: "p",
		Concurrency: 4, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 || r.Errors != 0 || r.Statuses[201] != r.Requests {
		t.Errorf("sign run: %d requests, %d errors, statuses %v; want some, none, all 201", r.Requests, r.Errors, r.Statuses)
	}
	if r.P50 <= 0 || r.P99 < r.P50 || r.RPS <= 0 {
		t.Errorf("percentiles p50=%s p99=%s rps=%.0f look wrong", r.P50, r.P99, r.RPS)
	}
	close(seen)
	unique := map[string]bool{}
	for b := range seen {
		unique[b] = true
	}
	if int64(len(unique)) != emails.Load() {
		t.Errorf("%d sign bodies but only %d distinct: every signer must be unique", emails.Load(), len(unique))
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer bad.Close()
	r, _ = loadtest.Run(t.Context(), loadtest.Options{BaseURL: bad.URL, Mode: "article", Concurrency: 2,
		Duration: 100 * time.Millisecond})
	if r.Errors == 0 || r.Errors != r.Requests {
		t.Errorf("against a failing server: %d errors of %d requests, want all counted as errors", r.Errors, r.Requests)
	}
}
