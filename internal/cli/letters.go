package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

const lettersHelp = `
Write a petition's letters to officials: one per jurisdiction the petition
addresses, to the office that can impose sanctions there, with the number
of confirmed signers living there, the names of those who agreed to be
named, and an annex with the verification digest signers check at
BASE_URL/verify.

  --format pdf   PDF files (default)
  --format html  print-ready HTML files
  --format zip   one ZIP with every letter as PDF, index.html and index.csv

--out is a directory for pdf or html (created if needed; one CODE.pdf or
CODE.html per letter and an index.csv), and a file for zip or for a single
--country. Files are written readable by their owner only: letters carry
signers' names.

One line per letter goes to standard output, with VERIFY BEFORE MAILING
where the address or the facts about the jurisdiction are not confirmed;
progress goes to standard error. Every run records the letters' digests
and an audit entry (letters.generate), as the console does.

Jurisdictions, targets and letter templates are read from the content
directory (CAMPAIGN_CONTENT_DIR: jurisdictions.yaml, targets.yaml,
letters/LANG.md), with the corrections and petition templates saved in the
console.`

// lettersArgs are the checked flags of 'campaign letters'.
type lettersArgs struct {
	slug, country, format, size, out string
}

func parseLettersArgs(env Env, args []string) (lettersArgs, error) {
	fs := newFlagSet(env, "letters", "--petition SLUG [--country XX] [--format pdf|html|zip] [--size a4|letter] --out PATH",
		lettersHelp, configHelp)
	var a lettersArgs
	fs.StringVar(&a.slug, "petition", "", "the petition's slug (required)")
	fs.StringVar(&a.country, "country", "", "only the letter to this jurisdiction: an ISO code such as GB, or EU")
	fs.StringVar(&a.format, "format", "pdf", "pdf, html or zip")
	fs.StringVar(&a.size, "size", "", "paper: a4 or letter (default: US Letter for US and CA, A4 elsewhere)")
	fs.StringVar(&a.out, "out", "", "where to write: a directory, or a file for zip or one --country (required)")
	if err := parseFlags(fs, args); err != nil {
		return a, err
	}
	a.country, a.format, a.size = strings.ToUpper(a.country), strings.ToLower(a.format), strings.ToLower(a.size)
	switch {
	case a.slug == "":
		return a, usageError{"--petition is required"}
	case a.out == "":
		return a, usageError{"--out is required: a directory, or a file for --format zip or one --country"}
	case a.format != "pdf" && a.format != "html" && a.format != "zip":
		return a, usageError{fmt.Sprintf("--format %q: want pdf, html or zip", a.format)}
	}
	if _, ok := letters.PageSize(a.size); a.size != "" && !ok {
		return a, usageError{fmt.Sprintf("--size %q: want a4 or letter", a.size)}
	}
	return a, nil
}

func runLetters(ctx context.Context, env Env, args []string) error {
	a, err := parseLettersArgs(env, args)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.Stderr)
	reg, err := jurisdiction.Load(cfg.ContentDir)
	if err != nil {
		return fmt.Errorf("jurisdictions (CAMPAIGN_CONTENT_DIR=%s): %w", cfg.ContentDir, err)
	}
	tpls, err := letters.LoadTemplates(filepath.Join(cfg.ContentDir, "letters"))
	if err != nil {
		return err
	}
	key, err := loadKey(cfg, log)
	if err != nil {
		return err
	}
	v, err := vault.New(key)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.FindPetitionBySlug(ctx, a.slug)
	if errors.Is(err, store.ErrNotFound) {
		return usageError{fmt.Sprintf("unknown petition %q (petitions reach the database from the content directory when 'campaign serve' starts)", a.slug)}
	}
	if err != nil {
		return err
	}
	svc, err := letters.New(letters.Options{Registry: reg, Store: db, Vault: v, Templates: tpls, BaseURL: cfg.BaseURL})
	if err != nil {
		return err
	}
	return writeLetters(ctx, env, svc, p, a)
}

// writeLetters generates the letters and writes them where a says.
func writeLetters(ctx context.Context, env Env, svc *letters.Service, p *store.Petition, a lettersArgs) error {
	var codes []string
	if a.country != "" {
		codes = []string{a.country}
	}
	start := time.Now()
	fmt.Fprintf(env.Stderr, "reading the confirmed signatures of %s…\n", p.Slug)
	b, err := svc.Generate(ctx, p, codes, letters.Actor{Name: "cli"})
	if errors.Is(err, letters.ErrUnknownJurisdiction) {
		return usageError{fmt.Sprintf("--country %s: the petition %q is not addressed to it", a.country, p.Slug)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "composed %d letters from %d confirmed signatures in %s\n",
		len(b.Letters), b.Total, time.Since(start).Round(time.Millisecond))
	ext := a.format
	if ext == "zip" {
		ext = "pdf"
	}
	switch {
	case a.format == "zip":
		var buf bytes.Buffer
		if err := svc.WriteZIP(ctx, &buf, b, a.size); err != nil {
			return err
		}
		if err := writePrivate(a.out, buf.Bytes()); err != nil {
			return err
		}
	case a.country != "" && !isDir(a.out):
		if err := writeLetterFiles(ctx, env, svc, b, a, func(*letters.Letter) string { return a.out }); err != nil {
			return err
		}
	default:
		if err := os.MkdirAll(a.out, 0o700); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		name := func(l *letters.Letter) string { return filepath.Join(a.out, letters.FileName(l, ext)) }
		if err := writeLetterFiles(ctx, env, svc, b, a, name); err != nil {
			return err
		}
		if err := writePrivate(filepath.Join(a.out, "index.csv"), indexCSV(b, ext)); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stderr, "wrote %s in %s\n", a.out, time.Since(start).Round(time.Millisecond))
	return printLetters(env.Stdout, b, ext)
}

// writeLetterFiles writes each letter of b to the file path(l) names.
func writeLetterFiles(ctx context.Context, env Env, svc *letters.Service, b *letters.Batch, a lettersArgs,
	path func(*letters.Letter) string) error {
	if a.format == "pdf" {
		pdfs, err := svc.RenderPDFs(ctx, b, a.size)
		if err != nil {
			return err
		}
		for i, l := range b.Letters {
			if err := writePrivate(path(l), pdfs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	for i, l := range b.Letters {
		size := a.size
		if size == "" {
			size = letters.DefaultSize(l.Jurisdiction.Code)
		}
		var buf bytes.Buffer
		if err := svc.WriteHTML(&buf, l, size); err != nil {
			return err
		}
		if err := writePrivate(path(l), buf.Bytes()); err != nil {
			return err
		}
		if (i+1)%10 == 0 {
			fmt.Fprintf(env.Stderr, "wrote %d/%d letters\n", i+1, len(b.Letters))
		}
	}
	return nil
}

// printLetters writes one line per letter.
func printLetters(w io.Writer, b *letters.Batch, ext string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range letters.Index(b, ext) {
		flag := ""
		if r.Check != "" {
			flag = "VERIFY BEFORE MAILING (" + r.Check + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\tsigners %d of %d\tnames %d\tdigest %s\t%s\t%s\n", r.Code, r.Name, r.Addressee,
			r.Signers, r.Total, r.Names, strings.ReplaceAll(r.Root, " ", ""), r.File, flag)
	}
	return tw.Flush()
}

// indexCSV is the index of a directory of letters.
func indexCSV(b *letters.Batch, ext string) []byte {
	var buf bytes.Buffer
	_ = letters.WriteIndexCSV(&buf, b, letters.Index(b, ext))
	return buf.Bytes()
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// writePrivate writes a file readable by its owner only, replacing it
// whole: the new content goes to a temporary file renamed over it.
func writePrivate(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
