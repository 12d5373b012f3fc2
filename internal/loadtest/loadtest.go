// Package loadtest drives a running campaign server over HTTP the way a
// viral petition does — many signers at once, far more readers — and
// reports throughput and latency. cmd/campaign-load is its command line.
package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options describe one run.
type Options struct {
	BaseURL     string        // e.g. http://127.0.0.1:8080; several, comma-separated, share the connections
	Mode        string        // "sign" or "article"
	Petition    string        // slug, for sign mode
	Concurrency int           // parallel connections
	Duration    time.Duration // how long to run
	Warmup      time.Duration // requests during warm-up are not measured
}

// Result is what a run measured.
type Result struct {
	Mode      string
	Requests  int64
	Errors    int64
	Statuses  map[int]int64
	Elapsed   time.Duration
	RPS       float64
	P50       time.Duration
	P95       time.Duration
	P99       time.Duration
	Max       time.Duration
	FirstErrs []string
}

// String formats a result as the README shows it.
func (r Result) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "mode=%s requests=%d errors=%d elapsed=%s\n", r.Mode, r.Requests, r.Errors, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "throughput: %.0f requests/s\n", r.RPS)
	fmt.Fprintf(&b, "latency: p50=%s p95=%s p99=%s max=%s\n", ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	fmt.Fprintf(&b, "statuses:")
	for _, c := range codes {
		fmt.Fprintf(&b, " %d×%d", c, r.Statuses[c])
	}
	fmt.Fprintln(&b)
	for _, e := range r.FirstErrs {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

type worker struct {
	lat      []time.Duration
	statuses map[int]int64
	errors   int64
	errs     []string
}

// Run drives the server until the duration has passed or ctx ends.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	if o.Mode != "sign" && o.Mode != "article" {
		return Result{}, fmt.Errorf("mode must be sign or article, not %q", o.Mode)
	}
	// Several servers (instances behind a load balancer, without one):
	// connection i goes to server i mod n.
	var hosts []string
	for _, raw := range strings.Split(o.BaseURL, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return Result{}, fmt.Errorf("-url must be http://HOST:PORT (several separated by commas), not %q", raw)
		}
		hosts = append(hosts, u.Host)
	}
	var nonce [4]byte
	_, _ = rand.Read(nonce[:])
	run := hex.EncodeToString(nonce[:])
	start := time.Now()
	measureFrom := start.Add(o.Warmup)
	stop := start.Add(o.Warmup + o.Duration)
	workers := make([]*worker, o.Concurrency)
	var wg sync.WaitGroup
	var seq atomic.Int64
	for i := range workers {
		w := &worker{statuses: map[int]int64{}, lat: make([]time.Duration, 0, 1<<15)}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &conn{addr: hosts[i%len(hosts)]}
			defer c.close()
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(stop) {
					return
				}
				status, err := o.do(c, run, seq.Add(1))
				d := time.Since(t0)
				if t0.Before(measureFrom) {
					continue
				}
				w.lat = append(w.lat, d)
				w.statuses[status]++
				if err != nil || status >= 400 || status == 0 {
					w.errors++
					if len(w.errs) < 3 {
						w.errs = append(w.errs, fmt.Sprintf("status %d: %v", status, err))
					}
				}
			}
		}()
	}
	wg.Wait()
	return summarize(o.Mode, workers, time.Since(measureFrom)), nil
}

// do sends one request on c and reads the answer. It speaks HTTP/1.1 over
// a kept-alive connection directly, so the generator spends little of the
// machine's CPU that the server under test needs (like wrk, unlike a full
// net/http client).
func (o Options) do(c *conn, run string, n int64) (int, error) {
	var req []byte
	switch o.Mode {
	case "sign":
		body := `{"name":"Load Tester ` + strconv.FormatInt(n, 10) + `","email":"load-` + run + "-" +
			strconv.FormatInt(n, 10) + `@example.org","country":"` + countryFor(n) +
			`","city":"Phnom Penh","include_in_letters":true}`
		req = fmt.Appendf(nil, "POST /petitions/%s/signatures HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			o.Petition, c.addr, len(body), body)
	default:
		req = fmt.Appendf(nil, "GET / HTTP/1.1\r\nHost: %s\r\nAccept-Language: en\r\n\r\n", c.addr)
	}
	status, err := c.roundTrip(req)
	if err != nil {
		return status, err
	}
	if o.Mode == "sign" && status != http.StatusCreated {
		return status, fmt.Errorf("sign answered %d", status)
	}
	return status, nil
}

// conn is one kept-alive HTTP/1.1 connection, redialled after an error.
type conn struct {
	addr string
	nc   net.Conn
	br   *bufio.Reader
}

func (c *conn) roundTrip(req []byte) (int, error) {
	if c.nc == nil {
		nc, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		c.nc, c.br = nc, bufio.NewReaderSize(nc, 64<<10)
	}
	_ = c.nc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.nc.Write(req); err != nil {
		c.close()
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.close()
	}
	return resp.StatusCode, err
}

func (c *conn) close() {
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
}

// countryFor spreads load signatures over a few countries, like real traffic.
func countryFor(n int64) string {
	const codes = "USFRKHTHAUGBDECAJPKR"
	i := int(n%int64(len(codes)/2)) * 2
	return codes[i : i+2]
}

func summarize(mode string, workers []*worker, elapsed time.Duration) Result {
	r := Result{Mode: mode, Statuses: map[int]int64{}, Elapsed: elapsed}
	var all []time.Duration
	for _, w := range workers {
		all = append(all, w.lat...)
		r.Errors += w.errors
		for k, v := range w.statuses {
			r.Statuses[k] += v
		}
		for _, e := range w.errs {
			if len(r.FirstErrs) < 5 {
				r.FirstErrs = append(r.FirstErrs, e)
			}
		}
	}
	r.Requests = int64(len(all))
	if r.Requests == 0 {
		return r
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) time.Duration { return all[int(float64(len(all)-1)*p)] }
	r.P50, r.P95, r.P99, r.Max = pct(0.50), pct(0.95), pct(0.99), all[len(all)-1]
	r.RPS = float64(r.Requests) / elapsed.Seconds()
	return r
}
