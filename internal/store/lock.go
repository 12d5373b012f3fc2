package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// Advisory locks held while a job runs, so that with several instances on
// one PostgreSQL database the job runs in one of them at a time.
const (
	LockMigrate      int64 = 0x63616d7001 // schema migrations at start
	LockHousekeeping int64 = 0x63616d7002 // retention and other periodic jobs
	LockContentSync  int64 = 0x63616d7003 // petitions from config/ into the database at start
)

// ErrLocked is returned by WithLock when another instance holds the lock.
var ErrLocked = errors.New("store: locked by another instance")

// WithLock runs fn while holding the advisory lock key. With wait it waits
// for the lock; without, it returns ErrLocked at once when another instance
// holds it. The lock belongs to one connection kept aside for the duration
// and is released however fn ends (PostgreSQL also releases it if the
// instance dies). SQLite has one server per file and runs fn directly.
func (db *DB) WithLock(ctx context.Context, key int64, wait bool, fn func() error) error {
	if db.dialect != "postgres" {
		return fn()
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("take lock: %w", err)
	}
	defer conn.Close()
	if wait {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
			return fmt.Errorf("take lock: %w", err)
		}
	} else {
		var got bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
			return fmt.Errorf("take lock: %w", err)
		}
		if !got {
			return ErrLocked
		}
	}
	defer func() {
		// A context already cancelled must not keep the lock held on a
		// pooled connection.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// Never hand a connection that may still hold the lock back to
			// the pool: closing it releases the lock in PostgreSQL.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return fn()
}

// ClaimPeriodicJob reports whether the job name is due (it last ran at
// least every ago, or never) and, if so, records now as its last run: with
// several instances each asking every hour, one of them runs it per period.
// The conditional update is atomic on both databases.
func (db *DB) ClaimPeriodicJob(ctx context.Context, name string, every time.Duration, now time.Time) (bool, error) {
	key := "job:" + name
	if _, err := db.sql.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, 0) ON CONFLICT (key) DO NOTHING`, key); err != nil {
		return false, fmt.Errorf("claim job %s: %w", name, err)
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE meta SET value = $1 WHERE key = $2 AND value <= $3`,
		now.Unix(), key, now.Add(-every).Unix())
	if err != nil {
		return false, fmt.Errorf("claim job %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
