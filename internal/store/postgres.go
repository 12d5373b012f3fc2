package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// openPostgres connects to PostgreSQL through pgx. Every instance of the
// server shares the database, so nothing here keeps state of its own: the
// pool is sized for one instance, and the server's own concurrency (the
// signature writer runs one batch at a time) keeps it far below
// max_connections even with several instances.
func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The parser's own message may quote part of the password: not shown.
		return nil, fmt.Errorf("read database URL %s: not a valid PostgreSQL URL; expected postgres://USER:PASSWORD@HOST:5432/DB?sslmode=... with special characters in the password percent-encoded (%% as %%25, # as %%23, @ as %%40)", redactURL(dsn))
	}
	// Times go over the wire as timestamptz and come back in UTC.
	cfg.RuntimeParams["timezone"] = "UTC"
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(16)
	sqldb.SetMaxIdleConns(16)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqldb}), gormConfig())
	if err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open PostgreSQL database %s: %w (is the server running and the URL right?)", redactURL(dsn), err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqldb.PingContext(pingCtx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w (is the server running and the URL right?)", redactURL(dsn), err)
	}
	return &DB{gorm: g, sql: sqldb, writer: sqldb, dialect: "postgres",
		now: func() time.Time { return time.Now().UTC() }, closeOnce: &sync.Once{}}, nil
}

// redactURL hides the password of a database URL in messages and logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Unparsable (a password with an unescaped % or #): cut everything
		// between the scheme and the last @, where a password would be.
		scheme, rest, ok := strings.Cut(raw, "://")
		if at := strings.LastIndex(rest, "@"); ok && at >= 0 {
			return scheme + "://xxxxx" + rest[at:]
		}
		return raw
	}
	if u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports whether a PostgreSQL transaction failed only because
// it met another one (deadlock, serialization failure) and can simply run
// again.
func retryable(err error) bool {
	switch pgCode(err) {
	case "40P01", "40001":
		return true
	}
	return false
}

// ExecAdmin runs one statement outside any transaction: CREATE DATABASE
// and the like, for tests and tools. Never pass it user input.
func (db *DB) ExecAdmin(ctx context.Context, stmt string) error {
	_, err := db.sql.ExecContext(ctx, stmt)
	return err
}

// retryConflicts runs fn, a statement or transaction that writes nothing
// when it fails, again when PostgreSQL aborted it for meeting another
// transaction (a deadlock with a signature batch holding the same count
// row, a serialization failure). SQLite's single writer never does this.
func (db *DB) retryConflicts(fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == 4 || !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
	}
}
