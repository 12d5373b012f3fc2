package signing_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// gatedStore is the real database, except that the first batch waits for
// the test to open the gate, so the writes behind it queue up.
type gatedStore struct {
	*store.DB
	gate        chan struct{}
	releaseOnce sync.Once
	once        sync.Once
	entry       chan struct{} // closed when the first batch reaches the store
	firstSize   int           // size of the first batch, set before entry closes
}

// newGatedWriter returns a batch writer over a gated store on db. The test
// ends by opening the gate and closing the writer, even if it failed early.
func newGatedWriter(t *testing.T, db *store.DB, maxBatch int, observe func(signing.BatchStats)) (*signing.BatchWriter, *gatedStore) {
	st := &gatedStore{DB: db, gate: make(chan struct{}), entry: make(chan struct{})}
	w := signing.NewBatchWriter(st, maxBatch, observe)
	t.Cleanup(func() {
		st.release()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := w.Close(ctx); err != nil {
			t.Errorf("close the writer at the end of the test: %v", err)
		}
	})
	return w, st
}

// release lets the first batch through; it may be called more than once.
func (g *gatedStore) release() {
	g.releaseOnce.Do(func() { close(g.gate) })
}

func (g *gatedStore) InsertSignatures(ctx context.Context, batch []*store.Signature) ([]bool, error) {
	first := false
	g.once.Do(func() { first, g.firstSize = true, len(batch); close(g.entry) })
	if first {
		<-g.gate
	}
	return g.DB.InsertSignatures(ctx, batch)
}

// failingStore is a database that refuses every batch.
type failingStore struct{ calls atomic.Int64 }

func (f *failingStore) InsertSignatures(context.Context, []*store.Signature) ([]bool, error) {
	f.calls.Add(1)
	return nil, errors.New("disk I/O error")
}

// batchLog collects what the writer reports after each batch.
type batchLog struct {
	mu      sync.Mutex
	batches []signing.BatchStats
}

func (l *batchLog) observe(b signing.BatchStats) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.batches = append(l.batches, b)
}

func (l *batchLog) snapshot() []signing.BatchStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]signing.BatchStats(nil), l.batches...)
}

func rawSig(petitionID int64, i int) *store.Signature {
	return &store.Signature{
		PetitionID: petitionID, EmailHash: fmt.Appendf(nil, "email-%d", i), ReceiptHash: fmt.Appendf(nil, "receipt-%d", i),
		Status: store.StatusConfirmed, Country: "KH", Lang: "en", Source: "web", SignedAt: time.Now(),
	}
}

type writeOutcome struct {
	inserted bool
	err      error
}

// writeAll starts one Write per signature and returns a channel of outcomes.
func writeAll(w *signing.BatchWriter, sigs []*store.Signature) <-chan writeOutcome {
	out := make(chan writeOutcome, len(sigs))
	for _, s := range sigs {
		go func() {
			ok, err := w.Write(context.Background(), s)
			out <- writeOutcome{ok, err}
		}()
	}
	return out
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func countRows(t *testing.T, db *store.DB) int64 {
	t.Helper()
	rows, err := db.CountSignatures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.N
	}
	return n
}

func TestBatchWriterConcurrentWrites(t *testing.T) {
	const n, maxBatch = 200, 64
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	var log batchLog
	w, st := newGatedWriter(t, db, maxBatch, log.observe)

	sigs := make([]*store.Signature, n)
	for i := range sigs {
		sigs[i] = rawSig(p.ID, i)
	}
	out := writeAll(w, sigs)
	// Hold the first batch until everyone else is queued behind it, as
	// happens when a commit is slow under load.
	<-st.entry
	waitFor(t, "the other writes are queued", func() bool { return w.QueueLen() == n-st.firstSize })
	st.release()

	for range n {
		o := <-out
		if o.err != nil || !o.inserted {
			t.Errorf("Write = %v, %v; want inserted, no error", o.inserted, o.err)
		}
	}
	if got := countRows(t, db); got != n {
		t.Errorf("%d rows stored, want %d", got, n)
	}
	for _, s := range sigs {
		if s.ID == 0 {
			t.Errorf("signature %s was acknowledged without an ID", s.EmailHash)
		}
	}
	total, largest := 0, 0
	for _, b := range log.snapshot() {
		total += b.Size
		largest = max(largest, b.Size)
		if b.Size > maxBatch || b.Err != nil {
			t.Errorf("batch of %d (err %v), want at most %d without error", b.Size, b.Err, maxBatch)
		}
	}
	if total != n {
		t.Errorf("batches carried %d signatures in all, want %d", total, n)
	}
	if largest < 2 {
		t.Errorf("largest batch held %d signature(s), want group commit to batch queued writes", largest)
	}
}

func TestBatchWriterUnderRealConcurrency(t *testing.T) {
	const n = 200
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	w := signing.NewBatchWriter(db, 32, nil)
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	sigs := make([]*store.Signature, n)
	for i := range sigs {
		sigs[i] = rawSig(p.ID, i)
	}
	// The same person signing from several tabs at once is counted once.
	const dupes = 20
	for range dupes {
		d := rawSig(p.ID, 0)
		d.ReceiptHash = fmt.Appendf(nil, "other-receipt-%p", d)
		sigs = append(sigs, d)
	}
	out := writeAll(w, sigs)
	inserted := 0
	for range sigs {
		o := <-out
		if o.err != nil {
			t.Fatalf("Write: %v", o.err)
		}
		if o.inserted {
			inserted++
		}
	}
	if inserted != n {
		t.Errorf("%d writes reported inserted, want %d (%d repeats of one email)", inserted, n, dupes)
	}
	if got := countRows(t, db); got != n {
		t.Errorf("%d rows stored, want %d", got, n)
	}
}

func TestBatchWriterStoreFailureAnswersEveryWriter(t *testing.T) {
	const n = 50
	st := &failingStore{}
	var log batchLog
	w := signing.NewBatchWriter(st, 8, log.observe)
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	sigs := make([]*store.Signature, n)
	for i := range sigs {
		sigs[i] = rawSig(1, i)
	}
	out := writeAll(w, sigs)
	for range n {
		select {
		case o := <-out:
			if o.inserted || o.err == nil {
				t.Errorf("Write on a failing store = %v, %v; want not inserted and an error", o.inserted, o.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a writer was never answered after its batch failed")
		}
	}
	for _, b := range log.snapshot() {
		if b.Err == nil {
			t.Errorf("observe saw a batch of %d without the store's error", b.Size)
		}
	}
	if st.calls.Load() == 0 {
		t.Error("the store was never called")
	}
}

// flakyStore is the real database, except that its first batch fails.
type flakyStore struct {
	*store.DB
	failed atomic.Bool
}

func (f *flakyStore) InsertSignatures(ctx context.Context, batch []*store.Signature) ([]bool, error) {
	if f.failed.CompareAndSwap(false, true) {
		return nil, errors.New("database is locked")
	}
	return f.DB.InsertSignatures(ctx, batch)
}

func TestBatchWriterKeepsWorkingAfterAFailedBatch(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	w := signing.NewBatchWriter(&flakyStore{DB: db}, 8, nil)
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	ctx := context.Background()
	if ok, err := w.Write(ctx, rawSig(p.ID, 1)); ok || err == nil {
		t.Fatalf("first Write = %v, %v; want the store's error", ok, err)
	}
	// The signer retries: the same signature must now go through.
	if ok, err := w.Write(ctx, rawSig(p.ID, 1)); !ok || err != nil {
		t.Fatalf("retry = %v, %v; want inserted", ok, err)
	}
	if got := countRows(t, db); got != 1 {
		t.Errorf("%d rows stored, want 1", got)
	}
}

func TestBatchWriterCloseDrainsQueue(t *testing.T) {
	const n = 30
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	w, st := newGatedWriter(t, db, 8, nil) // the queue holds 32
	sigs := make([]*store.Signature, n)
	for i := range sigs {
		sigs[i] = rawSig(p.ID, i)
	}
	out := writeAll(w, sigs)
	<-st.entry
	waitFor(t, "the other writes are queued", func() bool { return w.QueueLen() == n-st.firstSize })

	closed := make(chan error, 1)
	go func() { closed <- w.Close(context.Background()) }()
	waitFor(t, "Close has begun", w.Closing)

	// A signature arriving during shutdown is refused at once, not queued.
	late := rawSig(p.ID, n+1)
	if ok, err := w.Write(context.Background(), late); ok || !errors.Is(err, signing.ErrWriterClosed) {
		t.Errorf("Write during Close = %v, %v; want ErrWriterClosed", ok, err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v while %d signatures were still queued", err, n)
	case <-time.After(20 * time.Millisecond):
	}

	st.release()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the queue drained")
	}
	for range n {
		if o := <-out; !o.inserted || o.err != nil {
			t.Errorf("queued Write = %v, %v; want inserted before Close returned", o.inserted, o.err)
		}
	}
	if got := countRows(t, db); got != n {
		t.Errorf("%d rows after Close, want the %d queued before it", got, n)
	}

	if ok, err := w.Write(context.Background(), late); ok || !errors.Is(err, signing.ErrWriterClosed) {
		t.Errorf("Write after Close = %v, %v; want ErrWriterClosed", ok, err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if got := countRows(t, db); got != n {
		t.Errorf("%d rows after writes were refused, want %d", got, n)
	}
}

func TestBatchWriterCloseGivesUpWithContext(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	w, st := newGatedWriter(t, db, 4, nil)
	out := writeAll(w, []*store.Signature{rawSig(p.ID, 1)})
	<-st.entry

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with a stuck batch = %v, want context.DeadlineExceeded", err)
	}
	st.release()
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("Close once the batch commits = %v, want nil", err)
	}
	if o := <-out; !o.inserted || o.err != nil {
		t.Errorf("the signature in the stuck batch: %v, %v; want inserted", o.inserted, o.err)
	}
}

func TestBatchWriterWriteHonoursContextWhileQueueFull(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	w, st := newGatedWriter(t, db, 1, nil) // the queue holds 4
	sigs := make([]*store.Signature, 5)
	for i := range sigs {
		sigs[i] = rawSig(p.ID, i)
	}
	out := writeAll(w, sigs)
	<-st.entry
	waitFor(t, "the queue is full", func() bool { return w.QueueLen() == 4 })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if ok, err := w.Write(ctx, rawSig(p.ID, 99)); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Write with a full queue = %v, %v; want context.DeadlineExceeded", ok, err)
	}
	st.release()
	for range sigs {
		if o := <-out; !o.inserted || o.err != nil {
			t.Errorf("queued Write = %v, %v; want inserted", o.inserted, o.err)
		}
	}
	if got := countRows(t, db); got != int64(len(sigs)) {
		t.Errorf("%d rows, want %d: the abandoned write must not be stored", got, len(sigs))
	}
}

func TestBatchWriterCloseGivesUpWithContextWhenQueueIsFull(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	w, st := newGatedWriter(t, db, 1, nil) // the queue holds 4
	// One signature in the stuck batch, four queued, one waiting for room.
	sigs := make([]*store.Signature, 6)
	for i := range sigs {
		sigs[i] = rawSig(p.ID, i)
	}
	out := writeAll(w, sigs)
	<-st.entry
	waitFor(t, "the queue is full", func() bool { return w.QueueLen() == 4 })
	time.Sleep(10 * time.Millisecond) // let the sixth writer reach the full queue

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- w.Close(ctx) }()
	select {
	case err := <-closed:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close with a stuck batch and a full queue = %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(2 * time.Second):
		t.Error("Close ignored its context while the queue was full: shutdown would hang past its timeout")
	}
	st.release()
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("Close once the batch commits = %v, want nil", err)
	}
	inserted, refused := 0, 0
	for range sigs {
		o := <-out
		switch {
		case o.inserted && o.err == nil:
			inserted++
		case !o.inserted && errors.Is(o.err, signing.ErrWriterClosed):
			refused++ // only the sixth writer, if it had not reached the queue before Close
		default:
			t.Errorf("Write offered before Close = %v, %v; want inserted", o.inserted, o.err)
		}
	}
	if inserted < len(sigs)-1 || refused > 1 {
		t.Errorf("%d writes inserted and %d refused, want the %d already queued inserted", inserted, refused, len(sigs)-1)
	}
	if got := countRows(t, db); got != int64(inserted) {
		t.Errorf("%d rows, want the %d acknowledged", got, inserted)
	}
}
