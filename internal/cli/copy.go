package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

const copyHelp = `
Copy a campaign's whole database into another one: how a campaign moves
from SQLite to PostgreSQL.

  campaign copy --from sqlite://./data/campaign.db \
    --to 'postgres://campaign:PASSWORD@db.internal:5432/campaign?sslmode=verify-full'

Every table is copied row for row with its ids (receipt codes and letter
digests name signature ids), and id sequences continue after the source's.
Names, emails, cities and comments are copied as the sealed bytes they are,
never opened: copy needs no secret key, but the servers on the new database
need the same secret key as the old one. The destination must hold no data;
it is migrated first. Everything is written in one transaction: a copy that
fails or is interrupted leaves the destination empty.

The source is read in one consistent snapshot taken when the copy starts,
and its server may keep running: signatures made after that moment are NOT
in the copy. So: make a first copy while the campaign runs, to see how long
it takes (at a quiet hour: while the copy reads, the SQLite server cannot
recycle its write-ahead log); drop and recreate the destination; then stop
the server, make the final copy, and start the servers on PostgreSQL.

At the end the destination is read back and compared with what was read
from the source: rows and a SHA-256 checksum per table, and each petition's
signatures by status, including the counts the servers will show. "verified: identical" means a faithful copy;
otherwise every difference is listed and copy exits with status 1.
--verify-only makes this comparison alone, e.g. just before switching.

Times keep the microsecond, PostgreSQL's precision. Progress goes to
standard error; passwords in database URLs are never printed.`

func runCopy(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "copy", "--from URL --to URL [--verify-only]", copyHelp, nil)
	fromURL := fs.String("from", "", "the database to copy: sqlite://PATH or postgres://USER:PASSWORD@HOST:5432/DB")
	toURL := fs.String("to", "", "an empty database to copy into (created and migrated if need be)")
	verifyOnly := fs.Bool("verify-only", false, "compare the two databases, copy nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	err := copyDatabases(ctx, env, *fromURL, *toURL, *verifyOnly)
	return scrubPasswords(err, *fromURL, *toURL)
}

func copyDatabases(ctx context.Context, env Env, fromURL, toURL string, verifyOnly bool) error {
	switch {
	case fromURL == "" || toURL == "":
		return usageError{"both --from and --to are required, e.g. --from sqlite://./data/campaign.db --to postgres://campaign:PASSWORD@HOST:5432/campaign"}
	case sameDatabase(fromURL, toURL):
		return usageError{"--from and --to name the same database"}
	}
	// Opening a SQLite path creates the file: a typo must not copy from a
	// new, empty database.
	for _, u := range []struct{ flag, url string }{{"--from", fromURL}, {"--to", toURL}} {
		path, ok := strings.CutPrefix(u.url, "sqlite://")
		if !ok || (u.flag == "--to" && !verifyOnly) {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			return usageError{fmt.Sprintf("%s: no SQLite database at %s", u.flag, path)}
		}
	}
	from, err := store.Open(ctx, fromURL)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer from.Close()
	to, err := store.Open(ctx, toURL)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer to.Close()

	start := time.Now()
	var report *store.CopyReport
	if verifyOnly {
		fmt.Fprintf(env.Stderr, "comparing %s with %s …\n", redactDatabaseURL(fromURL), redactDatabaseURL(toURL))
		report, err = store.Verify(ctx, from, to)
	} else {
		fmt.Fprintf(env.Stderr, "copying %s to %s; what the source receives from now on is not copied\n",
			redactDatabaseURL(fromURL), redactDatabaseURL(toURL))
		report, err = store.Copy(ctx, from, to, copyProgress(env.Stderr, time.Second))
	}
	if err != nil {
		return err
	}
	if !verifyOnly {
		var rows int64
		for _, t := range report.Tables {
			rows += t.SourceRows
		}
		fmt.Fprintf(env.Stdout, "copied %d rows from %s to %s in %s\n\n", rows,
			redactDatabaseURL(fromURL), redactDatabaseURL(toURL), time.Since(start).Round(100*time.Millisecond))
	}
	printCopyReport(env.Stdout, report)
	if d := report.Differences(); len(d) > 0 {
		return fmt.Errorf("the destination differs from the source in %d ways (listed above): do not switch to it", len(d))
	}
	return nil
}

// copyProgress prints "table: done/total (pct%)" at most once per every,
// and always when a table is done.
func copyProgress(w io.Writer, every time.Duration) func(string, int64, int64) {
	var last time.Time
	return func(table string, done, total int64) {
		if done < total && time.Since(last) < every {
			return
		}
		last = time.Now()
		if total == 0 {
			fmt.Fprintf(w, "%s: 0/0\n", table)
			return
		}
		fmt.Fprintf(w, "%s: %d/%d (%d%%)\n", table, done, total, done*100/total)
	}
}

func printCopyReport(w io.Writer, r *store.CopyReport) {
	fmt.Fprintf(w, "%-24s %12s %12s  %s\n", "table", "source", "destination", "checksum")
	for _, t := range r.Tables {
		sum := "same"
		if t.SourceSum != t.DestSum {
			sum = "DIFFERENT"
		}
		fmt.Fprintf(w, "%-24s %12d %12d  %s\n", t.Table, t.SourceRows, t.DestRows, sum)
	}
	fmt.Fprintf(w, "\n%-36s %12s %12s %12s\n", "signatures by petition and status", "source", "destination", "counted")
	for _, s := range r.Signatures {
		fmt.Fprintf(w, "%-36s %12d %12d %12d\n", s.Slug+" "+s.Status, s.Source, s.Dest, s.Counted)
	}
	d := r.Differences()
	if len(d) == 0 {
		fmt.Fprintln(w, "\nverified: identical")
		return
	}
	fmt.Fprintf(w, "\nverified: %d DIFFERENCES\n", len(d))
	for _, line := range d {
		fmt.Fprintf(w, "  - %s\n", line)
	}
}

// sameDatabase reports whether two database URLs name one database: one
// SQLite file, or one PostgreSQL host, port, database and schema.
func sameDatabase(a, b string) bool {
	pa, okA := strings.CutPrefix(a, "sqlite://")
	pb, okB := strings.CutPrefix(b, "sqlite://")
	if okA || okB {
		if okA != okB {
			return false
		}
		absA, errA := filepath.Abs(pa)
		absB, errB := filepath.Abs(pb)
		if errA == nil && errB == nil && absA == absB {
			return true
		}
		ia, errA := os.Stat(pa)
		ib, errB := os.Stat(pb)
		return errA == nil && errB == nil && os.SameFile(ia, ib)
	}
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return a == b
	}
	key := func(u *url.URL) string {
		host, port := u.Hostname(), u.Port()
		if host == "" {
			host = "localhost"
		}
		if port == "" {
			port = "5432"
		}
		return host + ":" + port + u.Path + "?" + u.Query().Get("search_path")
	}
	return key(ua) == key(ub)
}

// redactDatabaseURL shows a database URL without its password.
func redactDatabaseURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		scheme, _, _ := strings.Cut(raw, "://")
		return scheme + "://…"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	shown := u.Redacted()
	for _, pw := range urlPasswords(raw) { // an unescaped "/" in a password fools url.Parse
		shown = strings.ReplaceAll(shown, pw, "xxxxx")
	}
	return shown
}

// scrubPasswords takes the passwords of the URLs out of err's message,
// whatever a driver put in it.
func scrubPasswords(err error, urls ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, raw := range urls {
		for _, pw := range urlPasswords(raw) {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	if msg == err.Error() {
		return err
	}
	var ue usageError
	if errors.As(err, &ue) {
		return usageError{msg}
	}
	return errors.New(msg)
}

// urlPasswords finds a URL's password however it is written, even in a URL
// too malformed to parse; very short ones are left, or every message would
// be garbled.
func urlPasswords(raw string) []string {
	var out []string
	add := func(pw string) {
		if len(pw) >= 4 {
			out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				add(pw)
				if dec, err := url.PathUnescape(pw); err == nil {
					add(dec)
				}
			}
		}
	}
	if u, err := url.Parse(raw); err == nil {
		if pw, ok := u.User.Password(); ok {
			add(pw)
		}
		add(u.Query().Get("password"))
	}
	return out
}
