package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

const exportHelp = `
Write a petition's signatures as CSV (UTF-8, RFC 4180 quoting), to
standard output or to --out FILE. The console's download
(/admin/petitions/SLUG/export.csv) gives the same bytes for the same
options.

Profiles:
  counts  country,status,count — no signer at all
  names   every column but the email (the default)
  full    every column, emails included: treat the file as the signer list
          it is, and delete it when done

Columns: signed_at,confirmed_at,status,name,email,country,city,comment,
public,include_in_letters,updates. Times are RFC 3339 UTC, booleans
true/false. A cell that a spreadsheet would run as a formula (starting
with = + - @, tab or carriage return) is prefixed with an apostrophe.

--since and --until take an RFC 3339 time (2026-11-26T08:00:00Z) or a
UTC date (2026-11-26); since is inclusive, until exclusive, and a date as
until means the end of that day.

--out FILE is written through a temporary file (mode 0600) in the same
directory, renamed into place only when complete; progress goes to
standard error. Every export is recorded in the audit log.`

// exportFlags are the command's flags.
type exportFlags struct {
	slug, profile, status, country, since, until, out string
	bom                                               bool
}

func runExport(ctx context.Context, env Env, args []string) error {
	fl, opts, err := parseExportFlags(env, args)
	if err != nil {
		return err
	}
	db, ex, p, err := openExport(ctx, env, fl.slug)
	if err != nil {
		return err
	}
	defer db.Close()
	if fl.out == "" {
		rows, err := ex.Export(ctx, env.Stdout, p, opts, nil)
		// Rows already written have left: they are audited even when the
		// export failed halfway.
		return errors.Join(err, auditExport(ctx, db, p.Slug, opts, rows))
	}
	return exportToFile(ctx, env, db, ex, p, opts, fl.out)
}

// parseExportFlags reads the command line; every mistake is a usage error.
func parseExportFlags(env Env, args []string) (exportFlags, export.Options, error) {
	var fl exportFlags
	fs := newFlagSet(env, "export", "--petition SLUG [--profile counts|names|full] [--status S] [--country XX] [--since T] [--until T] [--bom] [--out FILE]",
		exportHelp, configHelp)
	fs.StringVar(&fl.slug, "petition", "", "the petition's slug (required)")
	fs.StringVar(&fl.profile, "profile", string(export.ProfileNames), "counts, names or full")
	fs.StringVar(&fl.status, "status", store.StatusConfirmed, "confirmed, pending, withdrawn, invalidated or all")
	fs.StringVar(&fl.country, "country", "", "only signers from this country (ISO 3166-1 alpha-2, e.g. KH)")
	fs.StringVar(&fl.since, "since", "", "only signatures signed at or after this time (RFC 3339 or YYYY-MM-DD, UTC)")
	fs.StringVar(&fl.until, "until", "", "only signatures signed before this time (RFC 3339, or YYYY-MM-DD for the end of that day)")
	fs.BoolVar(&fl.bom, "bom", false, "start with a UTF-8 byte order mark (for spreadsheets)")
	fs.StringVar(&fl.out, "out", "", "write to this file instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return fl, export.Options{}, err
	}
	if fl.slug == "" {
		return fl, export.Options{}, usageError{"--petition is required"}
	}
	opts, err := export.ParseOptions(fl.profile, fl.status, fl.country, fl.since, fl.until, fl.bom)
	if err != nil {
		return fl, export.Options{}, usageError{"--" + err.Error()}
	}
	return fl, opts, nil
}

// openExport opens the database and the key and finds the petition; an
// unknown slug is a usage error. The caller closes the database.
func openExport(ctx context.Context, env Env, slug string) (*store.DB, *export.Exporter, *store.Petition, error) {
	_, _, v, db, err := openData(ctx, env)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := db.FindPetitionBySlug(ctx, slug)
	if err != nil {
		db.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, nil, usageError{fmt.Sprintf("no petition with the slug %q", slug)}
		}
		return nil, nil, nil, err
	}
	svc := signing.NewService(v, nil, nil, false, time.Now).WithKeyring(signing.NewKeyring(db, v))
	return db, export.NewExporter(db, svc), p, nil
}

// exportToFile writes the export to a temporary file beside path and
// renames it into place once it is complete and audited, so path never
// holds half an export and no file exists that the log does not record.
func exportToFile(ctx context.Context, env Env, db *store.DB, ex *export.Exporter, p *store.Petition,
	opts export.Options, path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	start := time.Now()
	progress := func(rows int64) {
		fmt.Fprintf(env.Stderr, "exported %d rows (%.0f/s)\n", rows, float64(rows)/time.Since(start).Seconds())
	}
	rows, err := ex.Export(ctx, tmp, p, opts, progress)
	if err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := auditExport(ctx, db, p.Slug, opts, rows); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(env.Stderr, "exported %d rows of %s (profile %s, status %s) to %s in %.1fs\n",
		rows, p.Slug, opts.Profile, opts.Status, path, time.Since(start).Seconds())
	return nil
}

// auditExport records an export in the audit log. It runs even when ctx
// was cancelled (an interrupted export still wrote rows).
func auditExport(ctx context.Context, db *store.DB, slug string, opts export.Options, rows int64) error {
	err := db.AddAudit(context.WithoutCancel(ctx), &store.AuditEntry{Actor: "cli", Action: "export", Target: slug,
		Detail: opts.AuditDetail(), RowCount: rows})
	if err != nil {
		return fmt.Errorf("record the export in the audit log: %w", err)
	}
	return nil
}
