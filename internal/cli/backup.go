package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

func runBackup(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "backup", "--out FILE", `
Write a consistent copy of the SQLite database to FILE while the server
keeps running and taking signatures (SQLite VACUUM INTO). Names, emails,
cities and comments stay encrypted in the copy: keep the secret key
(DATA_DIR/secret.key or CAMPAIGN_SECRET_KEY) backed up SEPARATELY — the
backup alone reveals no signer, the two together reveal everything.
Restore with 'campaign restore FILE'.`, configHelp)
	out := fs.String("out", "", "backup file to create (must not exist)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"--out is required, e.g. --out backup-" + time.Now().UTC().Format("20060102") + ".db"}
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return fmt.Errorf("CAMPAIGN_DATABASE: %w", err)
	}
	defer db.Close()
	start := time.Now()
	fmt.Fprintf(env.Stderr, "backing up to %s …\n", *out)
	if err := db.Backup(ctx, *out); err != nil {
		return err
	}
	info, _ := os.Stat(*out)
	fmt.Fprintf(env.Stdout, "backup written: %s (%d bytes, %s); back up the secret key separately\n",
		*out, info.Size(), time.Since(start).Round(time.Millisecond))
	return nil
}

func runRestore(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "restore", "[--force] FILE", `
Put a backup made by 'campaign backup' in place of the database named by
CAMPAIGN_DATABASE. STOP THE SERVER FIRST. The backup is checked (SQLite
integrity check, schema version) before anything is replaced; the current
database, if any, is kept beside it as NAME.before-restore-TIME. The same
secret key as when the backup was made must be in place, or no signer data
can be read.`, configHelp)
	force := fs.Bool("force", false, "replace an existing database")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"give exactly one backup FILE"}
	}
	src := fs.Arg(0)
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	dst, ok := cfg.SQLitePath()
	if !ok {
		return usageError{"restore works on SQLite; restore PostgreSQL with its own tools (see README)"}
	}
	if err := checkBackup(ctx, src); err != nil {
		return fmt.Errorf("%s is not a usable backup: %w", src, err)
	}
	if _, err := os.Stat(dst); err == nil {
		if !*force {
			return usageError{fmt.Sprintf("%s exists: stop the server and add --force to replace it (it is kept as a .before-restore copy)", dst)}
		}
		keep := dst + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(dst, keep); err != nil {
			return err
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			_ = os.Rename(dst+suffix, keep+suffix)
		}
		fmt.Fprintf(env.Stderr, "kept the previous database as %s\n", keep)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := copyFile(src, dst); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %s to %s\n", src, dst)
	return nil
}

func checkBackup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := store.Open(ctx, "sqlite://"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v == 0 || v > store.LatestVersion() {
		return fmt.Errorf("schema version %d; this program knows 1 to %d", v, store.LatestVersion())
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".restoring"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
