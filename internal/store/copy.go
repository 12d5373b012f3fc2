package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrDestinationNotEmpty is returned by Copy when the destination already
// holds rows: a copy never merges two campaigns.
var ErrDestinationNotEmpty = errors.New("the destination already holds data: copy into an empty, migrated database")

// Rows are written copyBatch at a time, one progress report each; into
// SQLite in statements of at most copyMaxParams parameters (it allows
// 32,766).
const (
	copyBatch     = 5000
	copyMaxParams = 30000
)

// querier is a read snapshot: a *sql.Tx or a *sql.Conn inside BEGIN.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// snapshot opens a read transaction that sees one consistent state of the
// database for as long as it lasts, while other connections keep writing.
func (db *DB) snapshot(ctx context.Context) (querier, func(), error) {
	if db.dialect == "postgres" {
		tx, err := db.sql.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return nil, nil, fmt.Errorf("begin read snapshot: %w", err)
		}
		return tx, func() { _ = tx.Rollback() }, nil
	}
	// The pool begins transactions IMMEDIATE, which takes the write lock
	// and would hold up a running server's signatures for the whole copy.
	// A deferred transaction only reads: under WAL its snapshot is fixed by
	// its first read and never blocks the writer.
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("begin read snapshot: %w", err)
	}
	var n int64
	if _, err = conn.ExecContext(ctx, "BEGIN DEFERRED"); err == nil {
		err = conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master").Scan(&n)
	}
	end := func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		_ = conn.Close()
	}
	if err != nil {
		end()
		return nil, nil, fmt.Errorf("begin read snapshot: %w", err)
	}
	return conn, end, nil
}

// stopCheckpoints ends this connection pool's background checkpoints
// before a long snapshot is read. Once the WAL is long, a checkpoint
// RESTART holds the write lock while it waits for readers to leave the
// log; with the copy's reader it would wait out the busy timeout, again
// and again, and a running server's signatures would fail with "database
// is locked" (measured: 16 failed signatures and 20 s stalls at 5,000
// signatures/s).
func (db *DB) stopCheckpoints() {
	if db.stop != nil {
		db.closeOnce.Do(func() { close(db.stop) })
		<-db.stopped
	}
}

// Copy copies every application table of from into to, row for row with
// the same ids, and then compares the two. Sealed fields are copied as the
// bytes they are, never opened. from is read in one snapshot, so it may be
// a running campaign: what is written to it after Copy starts is not
// copied. to is migrated first and must hold no data; everything is
// written in one transaction, so a copy that fails leaves it empty.
// progress, if not nil, hears after every batch and at the end of each
// table. Sequences are set past the source's, so no id is ever reused.
// A SQLite source's background checkpoints stop for good (see
// stopCheckpoints): close it after.
func Copy(ctx context.Context, from, to *DB, progress func(table string, done, total int64)) (*CopyReport, error) {
	from.stopCheckpoints()
	src, end, err := from.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	defer end()
	if err := checkSchema(ctx, src, from.dialect); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if err := to.prepareCopyDestination(ctx); err != nil {
		return nil, err
	}
	dst, commit, err := to.beginCopy(ctx)
	if err != nil {
		return nil, fmt.Errorf("destination: begin: %w", err)
	}
	defer dst.Close() // rolls back unless committed
	if err := checkEmpty(ctx, dst); err != nil {
		return nil, err
	}
	c := copier{src: src, dst: dst, from: from, to: to, prec: timePrecision(from, to), progress: progress}
	sums := make(map[string]tableSum, len(copyTables))
	for _, t := range copyTables {
		s, err := c.copyTable(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("copy %s: %w (nothing was kept in the destination)", t.name, err)
		}
		sums[t.name] = s
	}
	if err := commit(); err != nil {
		return nil, fmt.Errorf("destination: commit: %w", err)
	}
	counts, err := statusCounts(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	return compare(ctx, sums, counts, to, c.prec)
}

// copyConn is the destination's connection in its write transaction.
type copyConn struct {
	*sql.Conn
	done bool
}

// beginCopy opens the one write transaction of a copy on a connection of
// its own, which PostgreSQL's COPY needs to reach (database/sql hides the
// connection of a *sql.Tx). Close rolls it back unless commit ran.
func (db *DB) beginCopy(ctx context.Context) (*copyConn, func() error, error) {
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	begin := "BEGIN"
	if db.dialect == "sqlite" {
		begin = "BEGIN IMMEDIATE"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		conn.Close()
		return nil, nil, err
	}
	c := &copyConn{Conn: conn}
	commit := func() error {
		_, err := c.ExecContext(ctx, "COMMIT")
		c.done = err == nil
		return err
	}
	return c, commit, nil
}

// Close rolls back what was not committed and gives the connection back.
func (c *copyConn) Close() error {
	if !c.done {
		_, _ = c.ExecContext(context.Background(), "ROLLBACK")
	}
	return c.Conn.Close()
}

// timePrecision is the precision times are compared at: PostgreSQL keeps
// microseconds, SQLite whatever the program wrote.
func timePrecision(from, to *DB) time.Duration {
	if from.dialect == "postgres" || to.dialect == "postgres" {
		return time.Microsecond
	}
	return time.Nanosecond
}

// prepareCopyDestination refuses a destination with data, then migrates it
// to this build's schema.
func (db *DB) prepareCopyDestination(ctx context.Context) error {
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	if v > 0 {
		// Look before migrating: a database named by mistake is left as it was.
		for _, t := range []string{"petitions", "signatures"} {
			if err := tableEmpty(ctx, db.sql, t); err != nil {
				return err
			}
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	if err := checkSchema(ctx, db.sql, db.dialect); err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	return nil
}

// checkEmpty refuses a destination holding any row the copy would write;
// meta only holds what the migrations put there, and is overwritten.
func checkEmpty(ctx context.Context, q querier) error {
	for _, t := range copyTables {
		if t.upsert != "" {
			continue
		}
		if err := tableEmpty(ctx, q, t.name); err != nil {
			return err
		}
	}
	return nil
}

func tableEmpty(ctx context.Context, q querier, table string) error {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM "+table+" LIMIT 1").Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("destination: read %s: %w", table, err)
	}
	return fmt.Errorf("%w (%s has rows)", ErrDestinationNotEmpty, table)
}

// checkSchema makes sure the database is at this build's schema version
// and has exactly the tables and columns Copy knows.
func checkSchema(ctx context.Context, q querier, dialect string) error {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return fmt.Errorf("read schema version (is this a campaign database?): %w", err)
	}
	switch {
	case v.Int64 < int64(LatestVersion()):
		return fmt.Errorf("schema is version %d, this program's is %d: run 'campaign migrate' on it first", v.Int64, LatestVersion())
	case v.Int64 > int64(LatestVersion()):
		return fmt.Errorf("schema is version %d but this program knows only up to %d: use a newer release", v.Int64, LatestVersion())
	}
	list := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	if dialect == "postgres" {
		list = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`
	}
	tables, err := queryStrings(ctx, q, list)
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	for _, name := range tables {
		i := slices.IndexFunc(copyTables, func(t copyTable) bool { return t.name == name })
		if i < 0 {
			if !slices.Contains(notCopied, name) {
				return fmt.Errorf("table %s is unknown to copy: add it to copyTables (internal/store/copy.go)", name)
			}
			continue
		}
		if err := checkColumns(ctx, q, copyTables[i]); err != nil {
			return err
		}
	}
	for _, t := range copyTables {
		if !slices.Contains(tables, t.name) {
			return fmt.Errorf("table %s is missing", t.name)
		}
	}
	return nil
}

func checkColumns(ctx context.Context, q querier, t copyTable) error {
	rows, err := q.QueryContext(ctx, "SELECT * FROM "+t.name+" WHERE 1 = 0")
	if err != nil {
		return fmt.Errorf("read columns of %s: %w", t.name, err)
	}
	have, err := rows.Columns()
	rows.Close()
	if err != nil {
		return fmt.Errorf("read columns of %s: %w", t.name, err)
	}
	want := t.columns()
	for _, name := range have {
		if t.kind(name) == "" {
			return fmt.Errorf("column %s.%s is unknown to copy: add it to copyTables (internal/store/copy.go)", t.name, name)
		}
	}
	if len(have) != len(want) {
		return fmt.Errorf("table %s has %d columns, copy expects %d", t.name, len(have), len(want))
	}
	return nil
}

func queryStrings(ctx context.Context, q querier, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// copier copies tables from a source snapshot into a destination
// transaction.
type copier struct {
	src      querier
	dst      *copyConn
	from, to *DB
	prec     time.Duration
	progress func(table string, done, total int64)
}

// copyTable streams the table in key order — the drivers hand over rows
// as they are read, so memory holds one batch whatever the table's size —
// and writes it in batches, hashing each row as read. It then sets the
// destination's id sequence past the source's.
func (c *copier) copyTable(ctx context.Context, t copyTable) (tableSum, error) {
	var total int64
	if err := c.src.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.name).Scan(&total); err != nil {
		return tableSum{}, err
	}
	rows, err := c.src.QueryContext(ctx, t.selectSQL(c.from.dialect))
	if err != nil {
		return tableSum{}, err
	}
	defer rows.Close()
	r, rh := newRowReader(t, c.prec), newRowHash()
	ncols := len(r.cols)
	batch := make([]any, 0, copyBatch*ncols)
	var lastID int64
	flush := func() error {
		if err := c.write(ctx, t, batch, ncols); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		clear(batch) // let the written blobs go
		batch = batch[:0]
		if c.progress != nil && rh.rows < total {
			c.progress(t.name, rh.rows, total)
		}
		return nil
	}
	for rows.Next() {
		if err := rows.Scan(r.dest...); err != nil {
			return tableSum{}, fmt.Errorf("read row %d: %w", rh.rows+1, err)
		}
		rh.add(r)
		for i := range r.cols {
			batch = append(batch, r.value(i))
		}
		if t.identity {
			lastID = r.value(0).(int64)
		}
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return tableSum{}, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return tableSum{}, fmt.Errorf("read: %w", err)
	}
	if err := flush(); err != nil {
		return tableSum{}, err
	}
	if c.progress != nil {
		c.progress(t.name, rh.rows, total)
	}
	if t.identity {
		if err := c.carrySequence(ctx, t.name, lastID); err != nil {
			return tableSum{}, err
		}
	}
	return rh.result(), nil
}

// write writes a batch of rows: with COPY into PostgreSQL (which fires
// the same statement triggers as INSERT, so signature_counts follows), else
// in INSERT statements under SQLite's limit on parameters.
func (c *copier) write(ctx context.Context, t copyTable, batch []any, ncols int) error {
	if c.to.dialect == "postgres" && t.upsert == "" {
		names := make([]string, 0, ncols)
		for _, col := range t.columns() {
			names = append(names, col.name)
		}
		rows := pgx.CopyFromSlice(len(batch)/ncols, func(i int) ([]any, error) { return batch[i*ncols : (i+1)*ncols], nil })
		return c.dst.Raw(func(dc any) error {
			conn, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("unexpected PostgreSQL driver connection %T", dc)
			}
			_, err := conn.Conn().CopyFrom(ctx, pgx.Identifier{t.name}, names, rows)
			return err
		})
	}
	perStmt := min(copyBatch, copyMaxParams/ncols)
	for off := 0; off < len(batch); {
		n := min(perStmt, (len(batch)-off)/ncols)
		if _, err := c.dst.ExecContext(ctx, t.insertSQL(n), batch[off:off+n*ncols]...); err != nil {
			return err
		}
		off += n * ncols
	}
	return nil
}

// carrySequence sets the destination's next id past both the last row
// copied and the source's sequence, which may be further on (rows deleted
// since, ids drawn but unused): no id is ever given twice, so an old
// receipt code can never name a new signature.
func (c *copier) carrySequence(ctx context.Context, table string, lastID int64) error {
	q := `SELECT seq FROM sqlite_sequence WHERE name = $1`
	if c.from.dialect == "postgres" {
		q = `SELECT pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass)`
	}
	var seq sql.NullInt64
	if err := c.src.QueryRowContext(ctx, q, table).Scan(&seq); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read id sequence: %w", err)
	}
	high := max(lastID, seq.Int64)
	if c.to.dialect == "postgres" {
		_, err := c.dst.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), $2, false)`, table, high+1)
		if err != nil {
			return fmt.Errorf("set id sequence: %w", err)
		}
		return nil
	}
	res, err := c.dst.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = MAX(seq, $1) WHERE name = $2`, high, table)
	if err != nil {
		return fmt.Errorf("set id sequence: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 && high > 0 {
		_, err = c.dst.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES ($1, $2)`, table, high)
		if err != nil {
			return fmt.Errorf("set id sequence: %w", err)
		}
	}
	return nil
}
