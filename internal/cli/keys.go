package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/cambodia-sanctions/campaign/internal/config"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

const keysHelp = `
Manage the keys that protect signers' personal data. Each petition's names,
emails, cities and comments are sealed under a data key of its own, stored
only wrapped under a key derived from the secret key.

  campaign keys rotate    re-encrypt all personal data under a NEW secret key
  campaign keys finish    after restarting the server with the new key
  campaign keys status    data keys and how many signatures each seals

Rotating, without stopping the site:

  1. campaign keys rotate   (the server keeps running and signing)
     A new secret key is made and kept in DATA_DIR/secret.key.new until
     the end; every petition gets a new data key and every signature is
     re-encrypted, in batches of 1000, each its own short transaction. At
     the end the new key replaces DATA_DIR/secret.key, or, when the key
     comes from CAMPAIGN_SECRET_KEY(_FILE), is printed ONCE: put it there.
     Interrupted, it carries on where it stopped when run again.
  2. Restart the server with the new key. What the server signed until
     then stays readable with the new key: every data key it may still
     seal with is wrapped under both keys.
  3. campaign keys finish   (with the new key) re-encrypts what was signed
     since step 1 began and removes the old key's wrapping: from then on
     nothing in the database opens with the old key.

A rotation also moves the keyed email hashes (duplicate detection) to the
new key where the email is still stored. Receipt codes and confirmation
links already sent, and organizer sessions, stop working: they are keyed
hashes of secrets the campaign never stored. Mail still queued at the
restart is not sent. Backups made before keep their old key.`

func runKeys(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.Stderr, "Usage: campaign keys rotate|finish|status"+keysHelp)
		fmt.Fprintln(env.Stderr)
		configHelp(env.Stderr)
		if len(args) == 0 {
			return usageError{"missing subcommand: rotate, finish or status"}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet(env, "keys "+sub, "", keysHelp, configHelp)
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	switch sub {
	case "rotate", "finish", "status":
	default:
		return usageError{fmt.Sprintf("unknown keys subcommand %q: use rotate, finish or status", sub)}
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.Stderr)
	key, err := loadExistingKey(cfg, log)
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
	switch sub {
	case "rotate":
		return keysRotate(ctx, env, cfg, db, key, v)
	case "finish":
		return keysFinish(ctx, env, db, v)
	default:
		return keysStatus(ctx, env.Stdout, db, v)
	}
}

// loadExistingKey is loadKey without creating a key file: there must be a
// key already for there to be anything to rotate.
func loadExistingKey(cfg *config.Config, log *slog.Logger) ([]byte, error) {
	if !cfg.SecretKey.IsSet() {
		if _, err := os.Stat(cfg.SecretKeyPath()); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no secret key at %s (and CAMPAIGN_SECRET_KEY is not set): there is nothing to rotate", cfg.SecretKeyPath())
		}
	}
	return loadKey(cfg, log)
}

func keysRotate(ctx context.Context, env Env, cfg *config.Config, db *store.DB, oldKey []byte, old *vault.Vault) error {
	pending := cfg.SecretKeyPath() + ".new"
	newKey, created, err := vault.LoadOrCreateKeyFile(pending)
	if err != nil {
		return fmt.Errorf("new secret key %s: %w", pending, err)
	}
	if bytes.Equal(newKey, oldKey) {
		return fmt.Errorf("%s holds the current key: remove it and run 'campaign keys rotate' again", pending)
	}
	if !created {
		fmt.Fprintf(env.Stderr, "carrying on with the rotation begun earlier, to the key in %s\n", pending)
	}
	nv, err := vault.New(newKey)
	if err != nil {
		return err
	}
	r := signing.NewRotator(db, old, nv)
	r.Progress = progressPrinter(env.Stderr)
	fmt.Fprintln(env.Stderr, "re-encrypting personal data under a new secret key; the server may keep running")
	rep, err := r.Rotate(ctx)
	if err != nil {
		return fmt.Errorf("%w\nThe new key stays in %s: run 'campaign keys rotate' again to carry on", err, pending)
	}
	where, err := putNewKey(env, cfg, pending, newKey)
	if err != nil {
		return err
	}
	if err := db.AddAudit(ctx, &store.AuditEntry{Actor: "cli", Action: "keys.rotate", Target: "all petitions",
		Detail: fmt.Sprintf("%d data keys made, %d rewrapped, %d client-tag keys resealed; new key %s",
			rep.KeysMade, rep.Rewrapped, rep.TagKeys, where), RowCount: rep.Rows}); err != nil {
		return fmt.Errorf("record the rotation in the audit log: %w", err)
	}
	fmt.Fprintf(env.Stdout, "rotated: %d signatures re-encrypted under %d new data keys; %d data keys rewrapped\n",
		rep.Rows, rep.KeysMade, rep.Rewrapped)
	reportLeftovers(env.Stdout, rep)
	fmt.Fprintf(env.Stdout, `Next:
  1. Restart the server with the new key (%s). Until then it keeps signing
     with the old one; everything it signs stays readable with the new key.
  2. Then run 'campaign keys finish' with the new key.
`, where)
	return nil
}

// putNewKey puts the new key where the configuration reads it: over the
// key file, or, when the key comes from the environment, on standard
// output once. It says where it went.
func putNewKey(env Env, cfg *config.Config, pending string, key []byte) (string, error) {
	if !cfg.SecretKey.IsSet() {
		path := cfg.SecretKeyPath()
		if err := os.Rename(pending, path); err != nil {
			return "", fmt.Errorf("put the new key in place: %w (it is in %s: move it over %s by hand)", err, pending, path)
		}
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			_ = d.Sync()
			d.Close()
		}
		return "in " + path, nil
	}
	_, err := fmt.Fprintf(env.Stdout, `NEW SECRET KEY — shown once. Put it in CAMPAIGN_SECRET_KEY (or the file that
CAMPAIGN_SECRET_KEY_FILE names) in place of the old one:

%s

`, hex.EncodeToString(key))
	if err != nil {
		return "", fmt.Errorf("print the new key: %w (it is in %s)", err, pending)
	}
	if err := os.Remove(pending); err != nil {
		return "", err
	}
	return "printed for CAMPAIGN_SECRET_KEY", nil
}

func keysFinish(ctx context.Context, env Env, db *store.DB, v *vault.Vault) error {
	r := signing.NewRotator(db, nil, v)
	r.Progress = progressPrinter(env.Stderr)
	rep, err := r.Finish(ctx)
	if err != nil {
		return err
	}
	if err := db.AddAudit(ctx, &store.AuditEntry{Actor: "cli", Action: "keys.finish", Target: "all petitions",
		Detail: fmt.Sprintf("%d data keys now wrapped under the current key only", rep.Rewrapped), RowCount: rep.Rows}); err != nil {
		return fmt.Errorf("record in the audit log: %w", err)
	}
	fmt.Fprintf(env.Stdout, "finished: %d signatures re-encrypted; %d data keys open with the current secret key only\n",
		rep.Rows, rep.Rewrapped)
	reportLeftovers(env.Stdout, rep)
	return nil
}

func reportLeftovers(w io.Writer, rep signing.RotationReport) {
	if rep.Conflicts > 0 {
		fmt.Fprintf(w, "%d signatures kept their old email hash: the same address signed again during the rotation\n", rep.Conflicts)
	}
	if rep.Unreadable > 0 {
		fmt.Fprintf(w, "WARNING: %d signatures open with no key at hand and were left as they are\n", rep.Unreadable)
	}
}

// progressPrinter reports re-encryption progress at most once a second.
func progressPrinter(w io.Writer) func(rows, atID int64) {
	var last time.Time
	return func(rows, atID int64) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "re-encrypted %d signatures (up to #%d)\n", rows, atID)
	}
}

func keysStatus(ctx context.Context, w io.Writer, db *store.DB, v *vault.Vault) error {
	keys, err := db.FindDataKeys(ctx)
	if err != nil {
		return err
	}
	rows, err := db.CountSignaturesByKey(ctx, 0)
	if err != nil {
		return err
	}
	ps, err := db.FindPetitions(ctx)
	if err != nil {
		return err
	}
	slug := map[int64]string{}
	for _, p := range ps {
		slug[p.ID] = p.Slug
	}
	newest := map[int64]int64{}
	for _, k := range keys {
		if _, err := v.UnwrapDataKey(k.Wrapped, k.ID, k.PetitionID); err == nil && k.Live() {
			newest[k.PetitionID] = k.ID
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tPETITION\tSTATE\tSIGNATURES")
	for _, k := range keys {
		state := "older"
		_, err := v.UnwrapDataKey(k.Wrapped, k.ID, k.PetitionID)
		switch {
		case !k.Live():
			state = "destroyed " + k.DestroyedAt.UTC().Format(time.DateOnly)
		case err != nil:
			state = "another secret key"
		case newest[k.PetitionID] == k.ID:
			state = "current"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\n", k.ID, slug[k.PetitionID], state, rows[k.ID])
	}
	fmt.Fprintf(tw, "-\t(all)\tsecret key's own field key, from before data keys\t%d\n", rows[0])
	if err := tw.Flush(); err != nil {
		return err
	}
	if from, ok, err := db.KeyRotationMark(ctx); err == nil && ok {
		fmt.Fprintf(w, "A key rotation began after signature #%d: once the server runs with the new key, run 'campaign keys finish'.\n", from)
	}
	return nil
}

const shredHelp = `
Destroy the keys of signers' personal data — of one petition, or of all —
so that names, emails, cities and comments can never be read again, by
anyone, from this database or any copy of it made from now on. What
remains is what the figures and letters need: counts, countries,
statuses, times and keyed hashes. Older rows sealed before data keys
existed get their sealed fields overwritten; queued mail is dropped.

It asks you to type the petition's slug (or SHRED ALL) unless --yes is
given, and refuses to run without a terminal and without --yes. Backups
made before still hold the data, readable with the secret key: destroy
them too. A running server stops using the destroyed keys within seconds;
restart it to clear them from its memory. Afterwards, with the server
stopped, VACUUM the database file to rewrite it without old free space.`

func runShred(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "shred", "[--petition SLUG] [--yes]", shredHelp, configHelp)
	slug := fs.String("petition", "", "only this petition (default: every petition)")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*yes && !isTerminal(env.Stdin) {
		return usageError{"no terminal to confirm on: add --yes to shred without being asked"}
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.Stderr)
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	var ids []int64
	target, want := "all petitions", "SHRED ALL"
	if *slug != "" {
		p, err := db.FindPetitionBySlug(ctx, *slug)
		if errors.Is(err, store.ErrNotFound) {
			return usageError{fmt.Sprintf("no petition with the slug %q", *slug)}
		}
		if err != nil {
			return err
		}
		ids, target, want = []int64{p.ID}, "petition "+p.Slug, p.Slug
	}
	affected, err := sealedRows(ctx, db, ids)
	if err != nil {
		return err
	}
	if !*yes {
		fmt.Fprintf(env.Stderr, "This destroys for good the personal data of %d signatures of %s.\n"+
			"Counts and keyed hashes remain. Type %s to confirm: ", affected, target, want)
		line, _ := bufio.NewReader(env.Stdin).ReadString('\n')
		if strings.TrimSpace(line) != want {
			return errors.New("not confirmed: nothing was destroyed")
		}
	}
	res, err := db.ShredPersonalData(ctx, ids, time.Now())
	if err != nil {
		return fmt.Errorf("shred: %w (run it again: it carries on)", err)
	}
	_ = db.Checkpoint(ctx)
	if err := db.AddAudit(ctx, &store.AuditEntry{Actor: "cli", Action: "keys.shred", Target: target,
		Detail:   fmt.Sprintf("%d data keys destroyed, %d older rows erased, %d queued mails dropped", res.Keys, res.LegacyRows, res.Mails),
		RowCount: affected}); err != nil {
		return fmt.Errorf("record in the audit log: %w", err)
	}
	dbPath, _ := cfg.SQLitePath()
	fmt.Fprintf(env.Stdout, `shredded %s: %d data keys destroyed, sealed fields of %d older signatures erased, %d queued mails dropped.
The personal data of %d signatures is gone; counts and keyed hashes remain.
Restart the server to clear the destroyed keys from its memory, then, with it stopped,
reclaim the file's free space: sqlite3 %s 'VACUUM'
Backups made before still hold the data: destroy them too.
`, target, res.Keys, res.LegacyRows, res.Mails, affected, dbPath)
	return nil
}

// sealedRows counts the signatures of the petitions (all when ids is
// empty) that still hold sealed personal data.
func sealedRows(ctx context.Context, db *store.DB, ids []int64) (int64, error) {
	var petition int64
	if len(ids) > 0 {
		petition = ids[0]
	}
	byKey, err := db.CountSignaturesByKey(ctx, petition)
	if err != nil {
		return 0, err
	}
	keys, err := db.FindDataKeys(ctx)
	if err != nil {
		return 0, err
	}
	n := byKey[0]
	for _, k := range keys {
		if k.Live() {
			n += byKey[k.ID]
		}
	}
	return n, nil
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
