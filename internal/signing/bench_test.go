package signing_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// BenchmarkSign measures the whole sign path below HTTP — validation,
// sealing, group commit with fsync on a real SQLite file, counters — with
// many signers at once (go test -bench Sign -cpu 2 ./internal/signing/),
// sealing under the petition's data key as the server does, and under the
// vault's own field key as before data keys, to compare.
func BenchmarkSign(b *testing.B) {
	b.Run("data key", func(b *testing.B) { benchmarkSign(b, true) })
	b.Run("vault key", func(b *testing.B) { benchmarkSign(b, false) })
}

func benchmarkSign(b *testing.B, dataKeys bool) {
	db := testutil.NewDB(b)
	key, _ := hex.DecodeString(testKey)
	v, _ := vault.New(key)
	w := signing.NewBatchWriter(db, 512, nil)
	defer w.Close(context.Background())
	svc := signing.NewService(v, w, signing.NewCounter(time.Now), false, time.Now)
	if dataKeys {
		svc.WithKeyring(signing.NewKeyring(db, v))
	}
	p := testutil.MustCreatePetition(b, db, store.Petition{})
	var n atomic.Int64
	b.SetParallelism(32) // many goroutines per CPU, like many HTTP clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req := signing.Request{Input: signing.Input{
				Name: fmt.Sprintf("Bench Signer %d", i), Email: fmt.Sprintf("bench%d@example.org", i),
				Country: "KH", City: "Phnom Penh",
			}, Lang: "en", Source: "api"}
			if _, err := svc.Sign(context.Background(), p, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signatures/s")
}
