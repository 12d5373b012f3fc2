package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

const importHelp = `
Load a CSV file of paper signatures into a petition. FILE is a path, or -
for standard input.

The file has a header naming its columns, in any order:
  signed_at,confirmed_at,status,name,email,country,city,comment,
  public,include_in_letters,updates
name and country are required; the others may be left out. email may be
empty (many people sign on paper without one). status is confirmed
(default) or pending; times are RFC 3339 (default: now); consents are
true/false, yes/no, 1/0 or empty (no). A file written by 'campaign export'
imports as it is, with or without a byte order mark.

Every row is checked with the web form's rules. A file with any bad row
imports nothing unless --skip-invalid; rows whose email has already signed
the petition (earlier in the file or before) are skipped and listed. All
rows go in one transaction; running servers pick up the new counts.

Exit status: 0 imported (or nothing to import), 1 the file had errors and
nothing was imported, 2 bad usage or unknown petition.`

// langCode is the shape of a language tag: "km", "en", "pt-BR".
var langCode = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$`)

func runImport(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "import", "--petition SLUG [--skip-invalid] [--dry-run] [--lang CODE] FILE", importHelp, configHelp)
	slug := fs.String("petition", "", "the petition's slug (required)")
	skip := fs.Bool("skip-invalid", false, "import the good rows of a file that has bad ones")
	dry := fs.Bool("dry-run", false, "check the file and report, without writing anything")
	lang := fs.String("lang", "en", "language recorded for the signers (for any later mail)")
	file, err := parseImportArgs(fs, args)
	if err != nil {
		return err
	}
	if *slug == "" {
		return usageError{"--petition is required"}
	}
	if !langCode.MatchString(*lang) {
		return usageError{fmt.Sprintf("--lang %q: want a language code like en or km", *lang)}
	}
	in, name, err := openImportFile(env, file)
	if err != nil {
		return err
	}
	defer in.Close()
	_, _, v, db, err := openData(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.FindPetitionBySlug(ctx, *slug)
	if errors.Is(err, store.ErrNotFound) {
		return usageError{fmt.Sprintf("unknown petition %q (petitions reach the database from the content directory when 'campaign serve' starts)", *slug)}
	}
	if err != nil {
		return err
	}
	svc := signing.NewService(v, nil, nil, false, time.Now).WithKeyring(signing.NewKeyring(db, v))
	opts := export.ImportOptions{SkipInvalid: *skip, DryRun: *dry, Lang: *lang, Progress: func(n int) {
		fmt.Fprintf(env.Stderr, "read %d rows\n", n)
	}}
	rep, importErr := export.NewImporter(db, svc).Import(ctx, in, p, opts)
	if importErr != nil && (rep.Imported == 0 || opts.DryRun) {
		return importErr
	}
	// Rows may be stored even with an error (the counters could not be
	// told): the report and the audit entry still say so.
	printImportReport(env.Stdout, p.Slug, rep, opts)
	if err := auditImport(ctx, db, p.Slug, name, rep, opts.DryRun); err != nil {
		return errors.Join(importErr, err)
	}
	if importErr != nil {
		return importErr
	}
	if rep.Invalid > 0 && rep.Imported == 0 {
		return fmt.Errorf("nothing imported: %d invalid row(s)", rep.Invalid)
	}
	return nil
}

// auditImport records who imported what; a dry run is recorded too, with
// no rows changed.
func auditImport(ctx context.Context, db *store.DB, slug, file string, rep export.ImportReport, dryRun bool) error {
	written := int64(rep.Imported)
	if dryRun {
		written = 0
	}
	err := db.AddAudit(ctx, &store.AuditEntry{Actor: "cli", Action: "import", Target: slug, RowCount: written,
		Detail: fmt.Sprintf("file=%s; imported=%d; duplicates=%d; invalid=%d; dry-run=%t",
			file, rep.Imported, rep.Duplicates, rep.Invalid, dryRun)})
	if err != nil {
		return fmt.Errorf("record the import in the audit log: %w", err)
	}
	return nil
}

// parseImportArgs parses flags around exactly one FILE argument: flags may
// come before or after it, as in 'campaign import --petition x FILE --dry-run'.
func parseImportArgs(fs *flag.FlagSet, args []string) (string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", err
			}
			return "", usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(files) {
	case 0:
		return "", usageError{"missing FILE: the CSV file to import, or - for standard input"}
	case 1:
		return files[0], nil
	}
	return "", usageError{fmt.Sprintf("one FILE at a time, got %d: %q and more", len(files), files[0])}
}

// openImportFile opens FILE ("-" is standard input) and returns the name
// the audit log records for it: its base name, never its directory.
func openImportFile(env Env, file string) (io.ReadCloser, string, error) {
	if file == "-" {
		return io.NopCloser(env.Stdin), "stdin", nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, "", usageError{fmt.Sprintf("cannot open %s: %v", file, errors.Unwrap(err))}
	}
	return f, filepath.Base(file), nil
}

// printImportReport writes the counts, then each bad row and each skipped
// duplicate by line number.
func printImportReport(w io.Writer, slug string, rep export.ImportReport, o export.ImportOptions) {
	imported := "imported:"
	if o.DryRun {
		imported = "would import:"
	}
	fmt.Fprintf(w, "%-13s %s\n", "petition:", slug)
	for _, c := range []struct {
		label string
		n     int
	}{{"rows:", rep.Rows}, {imported, rep.Imported}, {"duplicates:", rep.Duplicates}, {"invalid:", rep.Invalid}} {
		fmt.Fprintf(w, "%-13s %d\n", c.label, c.n)
	}
	if o.DryRun {
		fmt.Fprintln(w, "dry run: nothing was written")
	}
	for _, e := range rep.Errors {
		fmt.Fprintln(w, e.String())
	}
	for _, line := range rep.DuplicateLines {
		fmt.Fprintf(w, "line %d: duplicate: same email as an earlier row or an existing signature; skipped\n", line)
	}
	if rep.Invalid > 0 && rep.Imported == 0 {
		hint := ""
		if !o.SkipInvalid && rep.Rows > rep.Invalid {
			hint = ", or use --skip-invalid to import the good ones"
		}
		fmt.Fprintf(w, "nothing imported: correct the lines above%s\n", hint)
	}
}
