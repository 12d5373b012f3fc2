package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// While a long reader (campaign copy, backup) holds an old snapshot, the
// background checkpoints must not restart the log: RESTART waits for that
// reader while holding back every writer, so signatures would wait out
// busy_timeout and fail. Here the restart threshold is tiny and a reader
// holds its snapshot for the whole run; no batch may wait long.
func TestCheckpointsNeverHoldSigningBehindALongReader(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.walRestartFrames.Store(20)
	p := &Petition{Slug: "p", Title: "P", Demands: StringList{"d"}, Countries: StringList{"KH"}, Status: PetitionOpen}
	if err := db.CreatePetition(ctx, p); err != nil {
		t.Fatal(err)
	}
	n := 0
	insert := func() time.Duration {
		batch := make([]*Signature, 50)
		for i := range batch {
			n++
			batch[i] = &Signature{PetitionID: p.ID, EmailHash: []byte(fmt.Sprint("e", n)), ReceiptHash: []byte(fmt.Sprint("r", n)),
				Status: StatusConfirmed, Country: "KH", Lang: "en", Source: "web", SignedAt: time.Now(),
				NameEnc: make([]byte, 200)}
		}
		start := time.Now()
		if _, err := db.InsertSignatures(ctx, batch); err != nil {
			t.Fatalf("batch while a reader holds a snapshot: %v", err)
		}
		return time.Since(start)
	}
	// The reader's snapshot takes in frames of the log, as a copy started
	// under signing does.
	insert()
	_, end, err := db.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer end()
	var slowest time.Duration
	for stop := time.Now().Add(2500 * time.Millisecond); time.Now().Before(stop); {
		slowest = max(slowest, insert())
	}
	if slowest > time.Second {
		t.Errorf("a batch waited %v behind the checkpoint while a reader held its snapshot", slowest)
	}
	t.Logf("%d signatures, slowest batch %v", n, slowest)
}
