package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// seedMain fills a database with realistic, properly sealed signatures so
// that load runs and benchmarks can start from a large campaign.
func seedMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("campaign-load seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	database := fs.String("database", "sqlite://./data/campaign.db", "database URL (the server must have created it)")
	keyFile := fs.String("key-file", "./data/secret.key", "the server's secret key file")
	slug := fs.String("petition", "coordinated-sanctions", "petition slug")
	n := fs.Int("n", 1_000_000, "number of signatures to add")
	batch := fs.Int("batch", 5000, "signatures per transaction")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := Seed(ctx, *database, *keyFile, *slug, *n, *batch, stderr); err != nil {
		fmt.Fprintln(stderr, "campaign-load seed:", err)
		return 1
	}
	fmt.Fprintf(stdout, "seeded %d signatures\n", *n)
	return 0
}

// Seed adds n confirmed signatures with unique emails to a petition.
func Seed(ctx context.Context, database, keyFile, slug string, n, batch int, progress io.Writer) error {
	key, _, err := vault.LoadOrCreateKeyFile(keyFile)
	if err != nil {
		return err
	}
	v, err := vault.New(key)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, database)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.FindPetitionBySlug(ctx, slug)
	if err != nil {
		return fmt.Errorf("petition %q: %w (start the server once so it loads the content)", slug, err)
	}
	svc := signing.NewService(v, nil, nil, false, time.Now)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	start := time.Now()
	sigs := make([]*store.Signature, 0, batch)
	for i := 0; i < n; i++ {
		in := signing.Request{Input: signing.Input{
			Name: "Seeded Signer " + strconv.Itoa(i), Email: "seed-" + run + "-" + strconv.Itoa(i) + "@example.org",
			Country: countryFor(int64(i)), City: "Phnom Penh", IncludeInLetters: i%3 == 0,
		}, Lang: "en", Source: "web"}
		sig, _, err := svc.Prepare(ctx, p, in)
		if err != nil {
			return err
		}
		sigs = append(sigs, sig)
		if len(sigs) == batch || i == n-1 {
			if _, err := db.InsertSignatures(ctx, sigs); err != nil {
				return err
			}
			sigs = sigs[:0]
			if (i+1)%100_000 < batch || i == n-1 {
				fmt.Fprintf(progress, "seeded %d/%d (%.0f/s)\n", i+1, n, float64(i+1)/time.Since(start).Seconds())
			}
		}
	}
	return nil
}
