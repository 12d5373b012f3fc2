// Package store is the only package that talks to the database. It opens
// SQLite (the embedded default) through gorm, applies the versioned
// migrations and offers one method per query the application needs.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write would break a unique rule.
var ErrConflict = errors.New("store: conflict")

// DB is an open database with the application's queries.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect string
	now     func() time.Time
}

// Dialect names the SQL dialect of the open database: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }

// Open connects to the database named by url (sqlite://PATH). For SQLite it
// creates the file's directory and sets WAL, foreign keys, a busy timeout and
// synchronous=FULL, so a committed transaction survives a power cut.
func Open(ctx context.Context, url string) (*DB, error) {
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return nil, errors.New("PostgreSQL is not supported by this build yet; use CAMPAIGN_DATABASE=sqlite://PATH")
	default:
		return nil, fmt.Errorf("unknown database URL %q: use sqlite://PATH", url)
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite:// needs a file path, e.g. sqlite://./data/campaign.db")
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// _txlock=immediate takes the write lock at BEGIN, so two writers wait on
	// busy_timeout instead of failing with SQLITE_BUSY halfway through.
	dsn := "file:" + path + "?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000" +
		"&_synchronous=FULL&_txlock=immediate&_cache_size=-20000"
	g, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:                 logger.Discard,
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	sqldb, err := g.DB()
	if err != nil {
		return nil, err
	}
	// Readers run in parallel under WAL; writes are serialised by SQLite and,
	// for signatures, by the single batch writer.
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqldb.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	return &DB{gorm: g, sql: sqldb, dialect: "sqlite", now: func() time.Time { return time.Now().UTC() }}, nil
}

// Close closes the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// SetClock replaces the clock used for timestamps; tests use it.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Tx runs fn in one transaction: committed when fn returns nil, rolled back otherwise.
func (db *DB) Tx(ctx context.Context, fn func(tx *DB) error) error {
	return db.gorm.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		return fn(&DB{gorm: g, sql: db.sql, dialect: db.dialect, now: db.now})
	})
}

// translate maps driver errors to the store's error kinds.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}
