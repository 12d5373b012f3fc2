package store

import (
	"context"
	"fmt"
)

// CountsVersion is bumped by every write that changes signature counts
// outside a running server's intake (a CSV import from the command line):
// a server that sees it change reloads its counters.
func (db *DB) CountsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'counts_version'`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read counts version: %w", err)
	}
	return v, nil
}

// BumpCountsVersion tells running servers to reload their counters.
func (db *DB) BumpCountsVersion(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'counts_version'`)
	if err != nil {
		return fmt.Errorf("bump counts version: %w", err)
	}
	return nil
}

// CatalogVersion is bumped by every change to a petition made in the
// console, so that other instances sharing the database reload theirs.
func (db *DB) CatalogVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'catalog_version'`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read catalog version: %w", err)
	}
	return v, nil
}

// BumpCatalogVersion tells other instances to reload their petitions.
func (db *DB) BumpCatalogVersion(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'catalog_version'`)
	if err != nil {
		return fmt.Errorf("bump catalog version: %w", err)
	}
	return nil
}
