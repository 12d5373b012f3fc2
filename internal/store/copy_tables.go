package store

import (
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// The tables campaign copy knows, and how their rows are read and written
// on either database.

// Kinds of column, each read into its own typed Go value: SQLite keeps
// booleans as 0/1 and times as text, PostgreSQL as BOOLEAN and TIMESTAMPTZ.
const (
	kindInt  = "int"
	kindText = "text"
	kindBlob = "blob"
	kindBool = "bool"
	kindTime = "time"
)

// copyTable is one application table as Copy reads and writes it.
type copyTable struct {
	name     string
	key      string // primary key columns, the order rows are read in
	identity bool   // id draws from an identity (auto-increment) sequence
	upsert   string // for rows the migrations already wrote
	spec     string // "column:kind ..."
}

// copyTables lists every application table, parents before children. A
// migration that adds a table or a column must add it here too: Copy
// refuses a schema with anything it does not know, so nothing is left out
// silently.
var copyTables = []copyTable{
	{name: "petitions", key: "id", identity: true, spec: "id:int slug:text title:text summary:text body:text " +
		"demands:text goal:int status:text countries:text featured:bool opens_at:time closes_at:time " +
		"config_hash:text created_at:time updated_at:time"},
	{name: "organizers", key: "id", identity: true, spec: "id:int email:text role:text password_hash:text " +
		"disabled_at:time created_at:time updated_at:time"},
	{name: "data_keys", key: "id", identity: true, spec: "id:int petition_id:int wrapped:blob created_at:time destroyed_at:time"},
	{name: "signatures", key: "id", identity: true, spec: "id:int petition_id:int email_hash:blob receipt_hash:blob " +
		"status:text country:text name_enc:blob email_enc:blob city_enc:blob comment_enc:blob public:bool " +
		"include_in_letters:bool updates:bool lang:text source:text client_tag:blob signed_at:time " +
		"confirmed_at:time withdrawn_at:time confirm_hash:blob confirm_expires_at:time mail_count:int " +
		"no_mail:bool email_domain_hash:blob key_id:int"},
	{name: "client_tag_keys", key: "day", spec: "day:text key_enc:blob created_at:time"},
	{name: "outbox", key: "id", identity: true, spec: "id:int kind:text signature_id:int payload_enc:blob attempts:int " +
		"next_attempt_at:time sent_at:time failed_at:time last_error:text created_at:time"},
	{name: "sessions", key: "id", identity: true, spec: "id:int token_hash:blob organizer_id:int csrf_token:text " +
		"created_at:time last_seen_at:time expires_at:time"},
	{name: "audit_log", key: "id", identity: true, spec: "id:int at:time actor_id:int actor:text action:text " +
		"target:text detail:text row_count:int"},
	{name: "meta", key: "key", upsert: " ON CONFLICT (key) DO UPDATE SET value = excluded.value", spec: "key:text value:int"},
	{name: "letter_digests", key: "id", identity: true, spec: "id:int petition_id:int jurisdiction:text signer_count:int " +
		"total_count:int root:blob members:blob generated_at:time generated_by:text"},
	{name: "letter_status", key: "id", identity: true, spec: "id:int petition_id:int jurisdiction:text status:text " +
		"channel:text note:text at:time by_actor:text"},
	{name: "jurisdiction_overrides", key: "code", spec: "code:text addressee:text address:text address_confirmed:bool " +
		"language:text updated_at:time updated_by:text"},
	{name: "letter_templates", key: "petition_id language", spec: "petition_id:int language:text body:text " +
		"updated_at:time updated_by:text"},
}

// notCopied are tables each database fills for itself: its own migration
// history, and the trigger-kept counts (PostgreSQL), which follow the
// copied signatures.
var notCopied = []string{"schema_migrations", "signature_counts"}

// copyColumn is one column of a copyTable.
type copyColumn struct{ name, kind string }

func (t copyTable) columns() []copyColumn {
	var cols []copyColumn
	for _, f := range strings.Fields(t.spec) {
		name, kind, _ := strings.Cut(f, ":")
		cols = append(cols, copyColumn{name, kind})
	}
	return cols
}

func (t copyTable) kind(col string) string {
	for _, c := range t.columns() {
		if c.name == col {
			return c.kind
		}
	}
	return ""
}

// selectSQL reads the whole table in key order. Text keys sort by bytes on
// both databases (SQLite's BINARY, PostgreSQL's "C"), so the two sides of a
// comparison see rows in the same order.
func (t copyTable) selectSQL(dialect string) string {
	names := make([]string, 0, 32)
	for _, c := range t.columns() {
		names = append(names, c.name)
	}
	keys := strings.Fields(t.key)
	for i, k := range keys {
		if dialect == "postgres" && t.kind(k) == kindText {
			keys[i] = k + ` COLLATE "C"`
		}
	}
	return "SELECT " + strings.Join(names, ", ") + " FROM " + t.name + " ORDER BY " + strings.Join(keys, ", ")
}

// insertSQL inserts rows rows of the table in one statement.
func (t copyTable) insertSQL(rows int) string {
	cols := t.columns()
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.name + " (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.name)
	}
	b.WriteString(") VALUES ")
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString("$" + strconv.Itoa(n))
		}
		b.WriteByte(')')
	}
	b.WriteString(t.upsert)
	return b.String()
}

// rowReader scans one table's rows into typed values.
type rowReader struct {
	cols []copyColumn
	dest []any
	prec time.Duration
}

func newRowReader(t copyTable, prec time.Duration) *rowReader {
	r := &rowReader{cols: t.columns(), prec: prec}
	for _, c := range r.cols {
		switch c.kind {
		case kindInt:
			r.dest = append(r.dest, new(sql.NullInt64))
		case kindText:
			r.dest = append(r.dest, new(sql.NullString))
		case kindBlob:
			r.dest = append(r.dest, new([]byte))
		case kindBool:
			r.dest = append(r.dest, new(sql.NullBool))
		case kindTime:
			r.dest = append(r.dest, new(sql.NullTime))
		}
	}
	return r
}

// value is column i of the row last scanned, as a plain Go value or nil
// for NULL; a blob is a fresh slice each row, and an empty blob stays an
// empty blob, not NULL.
func (r *rowReader) value(i int) any {
	switch d := r.dest[i].(type) {
	case *sql.NullInt64:
		if d.Valid {
			return d.Int64
		}
	case *sql.NullString:
		if d.Valid {
			return d.String
		}
	case *[]byte:
		if *d != nil {
			return *d
		}
	case *sql.NullBool:
		if d.Valid {
			return d.Bool
		}
	case *sql.NullTime:
		if d.Valid {
			return d.Time.UTC().Truncate(r.prec)
		}
	}
	return nil
}
