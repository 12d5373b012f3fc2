package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database to path while the
// server keeps running and signing: SQLite's VACUUM INTO reads one snapshot
// (WAL readers never block the writer) and writes a compact, standalone
// file. Personal fields stay encrypted in the copy; it is useless without
// the secret key, which is backed up separately.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect != "sqlite" {
		return errors.New("backup of PostgreSQL is done with pg_dump or WAL archiving (see README)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists: choose a new file name", path)
	}
	if _, err := db.sql.ExecContext(ctx, "VACUUM INTO $1", path); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("restrict backup file: %w", err)
	}
	return nil
}

// IntegrityCheck runs SQLite's integrity check and returns its findings.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	var result string
	if err := db.sql.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("integrity check failed: %s", result)
	}
	return nil
}
