package signing

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// ErrWriterClosed is returned for signatures offered after shutdown began.
var ErrWriterClosed = errors.New("signing: the server is shutting down")

// batchTimeout bounds one batch transaction: far above a healthy commit
// (milliseconds) and above SQLite's 10 s busy timeout.
const batchTimeout = 30 * time.Second

// ErrNotRecorded means the database did not take a signature (it was
// unreachable, or failed): the signer was not counted and should try again.
var ErrNotRecorded = errors.New("signing: the signature could not be recorded")

// Writer stores signatures durably. Write returns only once the signature is
// committed (inserted=true) or found to be a duplicate (inserted=false); an
// error means nothing may be acknowledged to the signer.
type Writer interface {
	Write(ctx context.Context, sig *store.Signature) (inserted bool, err error)
}

// BatchStore is what the batch writer needs from the database.
type BatchStore interface {
	InsertSignatures(ctx context.Context, batch []*store.Signature) ([]bool, error)
}

// BatchStats describes one committed batch, for metrics and tests.
type BatchStats struct {
	Size     int
	Duration time.Duration
	Err      error
}

// BatchWriter is a group-commit writer: one goroutine takes whatever
// signatures are queued (up to MaxBatch), writes them in one transaction —
// one fsync — and answers every waiting request with the outcome. When no
// one else is waiting the batch is a single row, so latency stays low when
// traffic is light and throughput climbs with concurrency when it is not.
type BatchWriter struct {
	store    BatchStore
	maxBatch int
	observe  func(BatchStats)

	mu      sync.RWMutex // guards closed
	closed  bool
	senders sync.WaitGroup // Writes admitted before Close, still waiting for room in the queue
	queue   chan *writeRequest
	done    chan struct{}
}

type writeRequest struct {
	sig   *store.Signature
	reply chan writeResult
}

type writeResult struct {
	inserted bool
	err      error
}

// NewBatchWriter starts a writer over st. maxBatch bounds a transaction's
// size; observe (may be nil) is called after every batch.
func NewBatchWriter(st BatchStore, maxBatch int, observe func(BatchStats)) *BatchWriter {
	if maxBatch < 1 {
		maxBatch = 1
	}
	if observe == nil {
		observe = func(BatchStats) {}
	}
	w := &BatchWriter{
		store:    st,
		maxBatch: maxBatch,
		observe:  observe,
		queue:    make(chan *writeRequest, maxBatch*4),
		done:     make(chan struct{}),
	}
	go w.run()
	return w
}

// Write queues sig and waits for its batch to commit.
func (w *BatchWriter) Write(ctx context.Context, sig *store.Signature) (bool, error) {
	req := &writeRequest{sig: sig, reply: make(chan writeResult, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return false, ErrWriterClosed
	}
	w.senders.Add(1)
	w.mu.RUnlock()
	// No lock is held while waiting for room, so Close never waits for a
	// full queue and can still give up when its ctx ends.
	select {
	case w.queue <- req:
		w.senders.Done()
	case <-ctx.Done():
		w.senders.Done()
		return false, ctx.Err()
	}
	// Once queued, the signature will be written even if the client goes
	// away; we wait for the outcome so we never answer before the commit.
	res := <-req.reply
	return res.inserted, res.err
}

// Close stops accepting signatures, writes everything already queued and
// returns when the last batch has committed or ctx ends.
func (w *BatchWriter) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		// Writes admitted before this point may still wait for room; the
		// queue closes once they are all in it.
		go func() {
			w.senders.Wait()
			close(w.queue)
		}()
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *BatchWriter) run() {
	defer close(w.done)
	batch := make([]*writeRequest, 0, w.maxBatch)
	sigs := make([]*store.Signature, 0, w.maxBatch)
	for first := range w.queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < w.maxBatch {
			select {
			case req, ok := <-w.queue:
				if !ok {
					break fill
				}
				batch = append(batch, req)
			default:
				break fill
			}
		}
		sigs = sigs[:0]
		for _, r := range batch {
			sigs = append(sigs, r.sig)
		}
		start := time.Now()
		// The batch runs on its own context: a signer who hangs up must not
		// abort the transaction that carries other signers' signatures. It
		// has a deadline, so a database that stops answering fails the batch
		// (its signers are told to try again) instead of holding everyone.
		bctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
		inserted, err := w.store.InsertSignatures(bctx, sigs)
		cancel()
		w.observe(BatchStats{Size: len(batch), Duration: time.Since(start), Err: err})
		for i, r := range batch {
			if err != nil {
				r.reply <- writeResult{err: err}
				continue
			}
			r.reply <- writeResult{inserted: inserted[i]}
		}
		clear(batch)
	}
}
