package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// insertSignaturesPgSQL inserts a whole batch in one statement: with
// several instances on one database the round trips, not the rows, are
// what a batch costs.
const insertSignaturesPgSQL = `INSERT INTO signatures (id, petition_id, email_hash, receipt_hash, status, country,
	name_enc, email_enc, city_enc, comment_enc, public, include_in_letters, updates, lang, source,
	client_tag, signed_at, confirmed_at, confirm_hash, confirm_expires_at, mail_count, email_domain_hash, key_id)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[], $5::text[], $6::text[],
	$7::bytea[], $8::bytea[], $9::bytea[], $10::bytea[], $11::boolean[], $12::boolean[], $13::boolean[], $14::text[], $15::text[],
	$16::bytea[], $17::timestamptz[], $18::timestamptz[], $19::bytea[], $20::timestamptz[], $21::integer[], $22::bytea[], $23::bigint[])
ON CONFLICT (petition_id, email_hash) DO NOTHING
RETURNING id, petition_id, email_hash`

const insertOutboxPgSQL = `INSERT INTO outbox (kind, signature_id, payload_enc, attempts, next_attempt_at, created_at)
SELECT kind, signature_id, payload_enc, 0, $4, $4 FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS m(kind, signature_id, payload_enc)`

// insertSignaturesPostgres is InsertSignatures for PostgreSQL. Rows go in
// sorted by (petition, email hash), so two instances inserting the same
// addresses lock them in the same order and cannot deadlock; a transaction
// that still meets another (a deadlock through repeat-mail updates) is run
// again, since it wrote nothing.
func (db *DB) insertSignaturesPostgres(ctx context.Context, batch []*Signature) ([]bool, error) {
	for attempt := 1; ; attempt++ {
		inserted, err := db.insertSignaturesPostgresOnce(ctx, batch)
		if err != nil && attempt < 5 && (retryable(err) || errors.Is(err, errNotStarted) || pgconn.SafeToRetry(err)) {
			for _, s := range batch {
				s.ID = 0
			}
			// A pooled connection the database closed (a restart, a
			// failover) fails once; the pool then dials a new one.
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
			continue
		}
		return inserted, err
	}
}

// errNotStarted marks a batch whose transaction never began: nothing of it
// reached the database, so running it again is safe.
var errNotStarted = errors.New("transaction not started")

func (db *DB) insertSignaturesPostgresOnce(ctx context.Context, batch []*Signature) (inserted []bool, err error) {
	inserted = make([]bool, len(batch))
	// The first of several signatures with one address in the batch is the
	// one inserted; the others are repeats, handled after it.
	order := make([]int, len(batch))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(batch[a].PetitionID, batch[b].PetitionID),
			bytes.Compare(batch[a].EmailHash, batch[b].EmailHash))
	})
	var firsts, repeats []int
	for k, i := range order {
		if k > 0 && sameAddress(batch[order[k-1]], batch[i]) {
			repeats = append(repeats, i)
		} else {
			firsts = append(firsts, i)
		}
	}

	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin signature batch: %w: %w", errNotStarted, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	now := db.now()
	// Ids are drawn first and handed out in the order the signatures came,
	// so the id order stays the signing order even though rows go in sorted.
	newIDs, err := nextSignatureIDs(ctx, tx, len(firsts))
	if err != nil {
		return nil, err
	}
	byArrival := slices.Clone(firsts)
	slices.Sort(byArrival)
	planned := make(map[int]int64, len(firsts))
	for k, i := range byArrival {
		planned[i] = newIDs[k]
	}
	cols := newSignatureColumns(len(firsts))
	for _, i := range firsts {
		if batch[i].FirstMail != nil {
			batch[i].MailCount = 1
		}
		cols.add(planned[i], batch[i])
	}
	rows, err := tx.QueryContext(ctx, insertSignaturesPgSQL, cols.args()...)
	if err != nil {
		return nil, fmt.Errorf("insert signatures: %w", translate(err))
	}
	type key struct {
		petition int64
		email    string
	}
	ids := make(map[key]int64, len(firsts))
	for rows.Next() {
		var id, petition int64
		var email []byte
		if err := rows.Scan(&id, &petition, &email); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read signature ids: %w", err)
		}
		ids[key{petition, string(email)}] = id
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("insert signatures: %w", translate(err))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert signatures: %w", translate(err))
	}

	var kinds []string
	var sigIDs []int64
	var payloads [][]byte
	for _, i := range firsts {
		s := batch[i]
		id, ok := ids[key{s.PetitionID, string(s.EmailHash)}]
		if !ok {
			repeats = append(repeats, i) // the address had signed before
			continue
		}
		s.ID, inserted[i] = id, true
		if s.FirstMail != nil {
			kinds = append(kinds, s.FirstMail.Kind)
			sigIDs = append(sigIDs, id)
			payloads = append(payloads, s.FirstMail.PayloadEnc)
		}
	}
	if len(kinds) > 0 {
		if _, err := tx.ExecContext(ctx, insertOutboxPgSQL, kinds, sigIDs, payloads, now); err != nil {
			return nil, fmt.Errorf("queue mail: %w", err)
		}
	}
	slices.Sort(repeats)
	for _, i := range repeats {
		if err := queueRepeatMail(ctx, tx, batch[i], now); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit signature batch: %w", err)
	}
	return inserted, nil
}

func sameAddress(a, b *Signature) bool {
	return a.PetitionID == b.PetitionID && bytes.Equal(a.EmailHash, b.EmailHash)
}

// signatureColumns holds a batch column by column, as unnest wants it.
type signatureColumns struct {
	id                                 []int64
	petitionID                         []int64
	emailHash, receiptHash             [][]byte
	status, country, lang, source      []string
	name, email, city, comment         [][]byte
	public, letters, updates           []bool
	clientTag, confirmHash, domainHash [][]byte
	signedAt                           []time.Time
	confirmedAt, confirmExpires        []*time.Time
	mailCount                          []int32
	keyID                              []*int64
}

func newSignatureColumns(n int) *signatureColumns {
	return &signatureColumns{id: make([]int64, 0, n),
		petitionID: make([]int64, 0, n), emailHash: make([][]byte, 0, n), receiptHash: make([][]byte, 0, n),
		status: make([]string, 0, n), country: make([]string, 0, n), lang: make([]string, 0, n), source: make([]string, 0, n),
		name: make([][]byte, 0, n), email: make([][]byte, 0, n), city: make([][]byte, 0, n), comment: make([][]byte, 0, n),
		public: make([]bool, 0, n), letters: make([]bool, 0, n), updates: make([]bool, 0, n),
		clientTag: make([][]byte, 0, n), confirmHash: make([][]byte, 0, n), domainHash: make([][]byte, 0, n),
		signedAt: make([]time.Time, 0, n), confirmedAt: make([]*time.Time, 0, n), confirmExpires: make([]*time.Time, 0, n),
		mailCount: make([]int32, 0, n), keyID: make([]*int64, 0, n),
	}
}

func (c *signatureColumns) add(id int64, s *Signature) {
	c.id = append(c.id, id)
	c.petitionID = append(c.petitionID, s.PetitionID)
	c.emailHash = append(c.emailHash, s.EmailHash)
	c.receiptHash = append(c.receiptHash, s.ReceiptHash)
	c.status = append(c.status, s.Status)
	c.country = append(c.country, s.Country)
	c.name = append(c.name, s.NameEnc)
	c.email = append(c.email, s.EmailEnc)
	c.city = append(c.city, s.CityEnc)
	c.comment = append(c.comment, s.CommentEnc)
	c.public = append(c.public, s.Public)
	c.letters = append(c.letters, s.IncludeInLetters)
	c.updates = append(c.updates, s.Updates)
	c.lang = append(c.lang, s.Lang)
	c.source = append(c.source, s.Source)
	c.clientTag = append(c.clientTag, s.ClientTag)
	c.signedAt = append(c.signedAt, s.SignedAt.UTC())
	c.confirmedAt = append(c.confirmedAt, utcTimePtr(s.ConfirmedAt))
	c.confirmHash = append(c.confirmHash, s.ConfirmHash)
	c.confirmExpires = append(c.confirmExpires, utcTimePtr(s.ConfirmExpiresAt))
	c.mailCount = append(c.mailCount, int32(s.MailCount))
	c.domainHash = append(c.domainHash, s.EmailDomainHash)
	c.keyID = append(c.keyID, s.KeyID)
}

func (c *signatureColumns) args() []any {
	return []any{c.id, c.petitionID, c.emailHash, c.receiptHash, c.status, c.country,
		c.name, c.email, c.city, c.comment, c.public, c.letters, c.updates, c.lang, c.source,
		c.clientTag, c.signedAt, c.confirmedAt, c.confirmHash, c.confirmExpires, c.mailCount, c.domainHash, c.keyID}
}

func utcTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nextSignatureIDs draws n ids from the signatures' identity sequence.
func nextSignatureIDs(ctx context.Context, tx *sql.Tx, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	rows, err := tx.QueryContext(ctx,
		`SELECT nextval(pg_get_serial_sequence('signatures', 'id')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("draw signature ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("draw signature ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("draw signature ids: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}
