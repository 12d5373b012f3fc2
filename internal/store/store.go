// Package store is the only package that talks to the database. It opens
// SQLite (the embedded default) through gorm, applies the versioned
// migrations and offers one method per query the application needs.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
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
	writer  *sql.DB // the signature writer's own connection (SQLite); else sql
	dialect string
	now     func() time.Time

	// Background WAL checkpoints (SQLite only), and the WAL size in frames
	// past which they restart the log (tests lower it).
	walRestartFrames atomic.Int64
	stop             chan struct{}
	stopped          chan struct{}
	closeOnce        *sync.Once
}

// Dialect names the SQL dialect of the open database: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }

// Open connects to the database named by url (sqlite://PATH or
// postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=...). For SQLite it
// creates the file's directory and sets WAL, foreign keys, a busy timeout and
// synchronous=FULL, so a committed transaction survives a power cut.
func Open(ctx context.Context, url string) (*DB, error) {
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	default:
		return nil, fmt.Errorf("unknown database URL %q: use sqlite://PATH or postgres://USER:PASSWORD@HOST:5432/DB", redactURL(url))
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite:// needs a file path, e.g. sqlite://./data/campaign.db")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	// The path is escaped so that '?' or '#' in a directory name cannot
	// be mistaken for the start of the options. _txlock=immediate takes the
	// write lock at BEGIN, so two writers wait on busy_timeout instead of
	// failing with SQLITE_BUSY halfway through a transaction.
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_foreign_keys=on&_busy_timeout=10000&_synchronous=FULL&_txlock=immediate"
	connector := sqliteConnector{dsn: dsn, driver: &sqlite3.SQLiteDriver{ConnectHook: sqliteConnectHook}}
	// Readers run in parallel under WAL with a modest page cache each.
	sqldb := sql.OpenDB(sqliteConnector{dsn: dsn + "&_cache_size=-8000", driver: connector.driver})
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	// Signatures go through one dedicated connection. Its page cache is kept
	// small on purpose: SQLite walks the whole cache's hash table at the end
	// of every write transaction, so a large cache costs more per commit
	// than its misses (served by the OS page cache) save. Measured with a
	// million signatures: 4 MB 12.4k signatures/s, 96 MB 10.0k/s.
	writer := sql.OpenDB(sqliteConnector{dsn: dsn + "&_cache_size=-4000", driver: connector.driver})
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	g, err := gorm.Open(sqlite.New(sqlite.Config{Conn: sqldb}), gormConfig())
	if err != nil {
		sqldb.Close()
		writer.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		writer.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	db := &DB{gorm: g, sql: sqldb, writer: writer, dialect: "sqlite", now: func() time.Time { return time.Now().UTC() },
		stop: make(chan struct{}), stopped: make(chan struct{}), closeOnce: &sync.Once{}}
	db.walRestartFrames.Store(16384) // 32 MiB of 2 KiB pages
	go db.checkpointLoop()
	return db, nil
}

// sqliteConnectHook prepares every new connection. A new database gets
// 2 KiB pages: signatures land at random places in the two hash indexes, and
// every page a commit touches is written to the WAL, so smaller pages mean
// fewer bytes per signature (measured: 23k rows/s at 2 KiB, 16k at 4 KiB,
// 11k at 8 KiB). Automatic checkpoints are off: checkpointLoop runs them on
// another connection so the signature writer never does that work itself.
func sqliteConnectHook(c *sqlite3.SQLiteConn) error {
	for _, pragma := range []string{
		"PRAGMA page_size = 2048", // no effect once the database has content
		"PRAGMA journal_mode = WAL",
		"PRAGMA wal_autocheckpoint = 0",
		"PRAGMA journal_size_limit = 67108864",
	} {
		if _, err := c.Exec(pragma, nil); err != nil {
			return fmt.Errorf("%s: %w", pragma, err)
		}
	}
	return nil
}

// sqliteConnector opens mattn/go-sqlite3 connections with our hook without
// registering a global driver name.
type sqliteConnector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c sqliteConnector) Driver() driver.Driver                        { return c.driver }

// checkpointLoop copies the WAL back into the database file twice a second
// on its own connection. PASSIVE checkpoints never block the writer, but
// under a continuous stream of commits they never catch up, and the WAL
// would grow without end; once it holds more than walRestartFrames, a
// RESTART checkpoint finishes the (by then small) remainder while briefly
// holding the writer, and the next commit starts the WAL from the top.
func (db *DB) checkpointLoop() {
	defer close(db.stopped)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			_, _ = db.sql.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			return
		case <-t.C:
			var busy, logFrames, done int
			err := db.sql.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
			// Only when every frame made it: otherwise a long reader (a
			// backup, a copy) holds the log back, and RESTART would hold the
			// write lock waiting for it until signing fails on busy_timeout.
			// The log grows meanwhile, for as long as that reader reads.
			if err == nil && int64(logFrames) > db.walRestartFrames.Load() && done == logFrames {
				_, _ = db.sql.Exec("PRAGMA wal_checkpoint(RESTART)")
			}
		}
	}
}

// gormConfig is the same for both databases: no SQL logging (statements
// carry sealed personal data), driver errors translated (duplicate keys),
// no implicit transactions, UTC timestamps.
func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

// Close checkpoints the WAL and closes the connection pool.
func (db *DB) Close() error {
	if db.stop != nil {
		db.closeOnce.Do(func() { close(db.stop) })
		<-db.stopped
	}
	if db.writer != nil && db.writer != db.sql {
		db.writer.Close()
	}
	return db.sql.Close()
}

// createPrivate creates a new database file readable by its owner only;
// SQLite gives its -wal and -shm files the same permissions.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return f.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// SetClock replaces the clock used for timestamps; tests use it.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Tx runs fn in one transaction: committed when fn returns nil, rolled back otherwise.
func (db *DB) Tx(ctx context.Context, fn func(tx *DB) error) error {
	return db.gorm.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		return fn(&DB{gorm: g, sql: db.sql, writer: db.writer, dialect: db.dialect, now: db.now})
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
