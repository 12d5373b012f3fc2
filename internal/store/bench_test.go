package store_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

func randomSig(pid int64) *store.Signature {
	b := make([]byte, 32*2+16+4*60)
	_, _ = rand.Read(b)
	return &store.Signature{
		PetitionID: pid, EmailHash: b[:32], ReceiptHash: b[32:64], ClientTag: b[64:80],
		NameEnc: b[80:140], EmailEnc: b[140:200], CityEnc: b[200:260], CommentEnc: nil,
		Status: store.StatusConfirmed, Country: "KH", Lang: "en", Source: "web", SignedAt: time.Now(),
	}
}

// BenchmarkInsertSignatures measures group-committed inserts (batches of 64,
// each an fsynced transaction) on a real SQLite file.
func BenchmarkInsertSignatures(b *testing.B) {
	db := testutil.NewDB(b)
	p := testutil.MustCreatePetition(b, db, store.Petition{})
	ctx := context.Background()
	const batch = 64
	sigs := make([]*store.Signature, batch)
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		for j := range sigs {
			sigs[j] = randomSig(p.ID)
		}
		if _, err := db.InsertSignatures(ctx, sigs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
