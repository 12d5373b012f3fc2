// Package metrics exposes what operators need to watch in Prometheus
// format — signatures accepted or refused and why, group-commit batch sizes
// and commit latency, HTTP latency by route, outbox depth, rate-limit
// refusals — and nothing about any person: no label ever holds an address,
// a name, an email, a token or a raw path.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the campaign's collectors in their own registry (no global
// default registry).
type Metrics struct {
	reg         *prometheus.Registry
	signatures  *prometheus.CounterVec
	batchSize   prometheus.Histogram
	batchCommit prometheus.Histogram
	batchFailed prometheus.Counter
	http        *prometheus.HistogramVec
	rateLimited *prometheus.CounterVec
}

// New registers every collector. outboxDepth (may be nil) is called at
// scrape time for the number of mails waiting.
func New(outboxDepth func(ctx context.Context) (int64, error)) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		signatures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "campaign_signatures_total",
			Help: "Signature submissions by outcome: accepted, invalid, closed, bot, too_large, rate_limited, error.",
		}, []string{"outcome"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "campaign_signature_batch_size",
			Help:    "Signatures per group-commit transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}),
		batchCommit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "campaign_signature_batch_commit_seconds",
			Help:    "Time to write and fsync one group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		batchFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "campaign_signature_batch_failures_total",
			Help: "Group-commit transactions that failed (every signature in them was answered with an error).",
		}),
		http: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "campaign_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern, method and status class.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"route", "method", "code"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "campaign_rate_limited_total",
			Help: "Requests refused by a rate limit, by limit.",
		}, []string{"limit"}),
	}
	m.reg.MustRegister(m.signatures, m.batchSize, m.batchCommit, m.batchFailed, m.http, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if outboxDepth != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "campaign_outbox_depth",
			Help: "Mails queued and not yet sent.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := outboxDepth(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	return m
}

// Signature counts one signature submission's outcome.
func (m *Metrics) Signature(outcome string) {
	if m != nil {
		m.signatures.WithLabelValues(outcome).Inc()
	}
}

// Batch records one group-commit transaction.
func (m *Metrics) Batch(size int, took time.Duration, failed bool) {
	if m == nil {
		return
	}
	m.batchSize.Observe(float64(size))
	m.batchCommit.Observe(took.Seconds())
	if failed {
		m.batchFailed.Inc()
	}
}

// Request records one HTTP request by route pattern (never the raw path).
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.http.WithLabelValues(route, method, statusClass(status)).Observe(took.Seconds())
}

// RateLimited counts a refusal by the named limit.
func (m *Metrics) RateLimited(limit string) {
	if m != nil {
		m.rateLimited.WithLabelValues(limit).Inc()
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func statusClass(code int) string {
	switch {
	case code >= 500:
		return "5xx"
	case code >= 400:
		return "4xx"
	case code >= 300:
		return "3xx"
	default:
		return "2xx"
	}
}
