package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Data keys: each petition's personal fields are sealed under a random data
// key, stored here only wrapped under a key derived from the secret key
// (see vault.WrapDataKey). A destroyed key has no wrapped value left and a
// destroyed_at time; what was sealed under it can no longer be read.

// DataKey is a row of data_keys.
type DataKey struct {
	ID          int64
	PetitionID  int64
	Wrapped     []byte // nil once destroyed
	CreatedAt   time.Time
	DestroyedAt *time.Time
}

// TableName keeps gorm on the migration's table name.
func (DataKey) TableName() string { return "data_keys" }

// Live reports whether the key can still be unwrapped by someone.
func (k *DataKey) Live() bool { return k.DestroyedAt == nil && len(k.Wrapped) > 0 }

// FindDataKeys returns every data key, destroyed ones included, by id. The
// table holds a few rows per petition.
func (db *DB) FindDataKeys(ctx context.Context) ([]*DataKey, error) {
	var out []*DataKey
	if err := db.gorm.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read data keys: %w", translate(err))
	}
	return out, nil
}

// CreateDataKey adds a data key to a petition in one transaction. It first
// reads every data key and gives them to check, which may refuse (nothing
// is written and its error returned); then it inserts the row, and wrap
// makes the wrapped value for the row's id. Writers are serialised (SQLite's
// one writer; a table lock on PostgreSQL), so
// check sees every key committed before and none can appear until the new
// one commits.
func (db *DB) CreateDataKey(ctx context.Context, petitionID int64, check func([]*DataKey) error,
	wrap func(id int64) ([]byte, error)) (*DataKey, error) {
	k := &DataKey{PetitionID: petitionID, CreatedAt: db.now()}
	err := db.Tx(ctx, func(tx *DB) error {
		if db.dialect == "postgres" {
			// Instances sharing the database take turns, as SQLite's one
			// writer does: no two keys for one petition at the same moment.
			if err := tx.gorm.WithContext(ctx).Exec(`LOCK TABLE data_keys IN SHARE ROW EXCLUSIVE MODE`).Error; err != nil {
				return fmt.Errorf("lock data keys: %w", err)
			}
		}
		keys, err := tx.FindDataKeys(ctx)
		if err != nil {
			return err
		}
		if err := check(keys); err != nil {
			return err
		}
		// The row is inserted without its wrapped value, which needs the id;
		// no one sees it before the update below commits with it.
		if err := tx.gorm.WithContext(ctx).Create(k).Error; err != nil {
			return fmt.Errorf("insert data key: %w", translate(err))
		}
		if k.Wrapped, err = wrap(k.ID); err != nil {
			return err
		}
		return tx.gorm.WithContext(ctx).Exec(`UPDATE data_keys SET wrapped = ? WHERE id = ?`, k.Wrapped, k.ID).Error
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// RewrapDataKeys replaces wrapped values in one transaction: rewrap gets
// every data key and returns the new wrapped value of those to change; a
// destroyed key is never given one back. It returns how many changed.
// The old values are overwritten on disk (secure_delete), so a key wrapped
// under a retired secret key does not linger in free pages of the file.
func (db *DB) RewrapDataKeys(ctx context.Context, rewrap func([]*DataKey) (map[int64][]byte, error)) (int, error) {
	n := 0
	err := db.secureTx(ctx, func(tx *sql.Tx) error {
		if db.dialect == "postgres" {
			// No instance may create a key between the read and the
			// updates: it would stay wrapped under the old secret key only.
			if _, err := tx.ExecContext(ctx, `LOCK TABLE data_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("lock data keys: %w", err)
			}
		}
		var keys []*DataKey
		rows, err := tx.QueryContext(ctx, `SELECT id, petition_id, wrapped, created_at, destroyed_at FROM data_keys ORDER BY id`)
		if err != nil {
			return fmt.Errorf("read data keys: %w", err)
		}
		for rows.Next() {
			k := &DataKey{}
			var pid sql.NullInt64
			var destroyed sql.NullTime
			if err := rows.Scan(&k.ID, &pid, &k.Wrapped, &k.CreatedAt, &destroyed); err != nil {
				rows.Close()
				return fmt.Errorf("read data keys: %w", err)
			}
			k.PetitionID = pid.Int64
			if destroyed.Valid {
				k.DestroyedAt = &destroyed.Time
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read data keys: %w", err)
		}
		changes, err := rewrap(keys)
		if err != nil {
			return err
		}
		for id, w := range changes {
			r, err := tx.ExecContext(ctx, `UPDATE data_keys SET wrapped = $1 WHERE id = $2 AND destroyed_at IS NULL`, w, id)
			if err != nil {
				return fmt.Errorf("rewrap data key %d: %w", id, err)
			}
			k, _ := r.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

// ShredResult says what ShredPersonalData destroyed.
type ShredResult struct {
	Keys       int64 // data keys destroyed
	LegacyRows int64 // signatures sealed with the vault's own key whose sealed fields were erased
	Mails      int64 // queued mails dropped with their sealed payloads
}

// ShredPersonalData destroys the data keys of the given petitions (all
// petitions when petitionIDs is empty) and erases the sealed fields of
// their older signatures, sealed before data keys existed with the vault's
// own field key, which no data key can take away. Queued mail to their
// signers goes too. What stays is counts, statuses, times and keyed hashes.
//
// Each step runs with SQLite's secure_delete on: SQLite then overwrites
// the bytes it frees with zeros instead of leaving them in free space of
// the file, where a copy of the file would still hold them. The old rows
// go in batches of a thousand, each its own short transaction, so the
// signature writer of a running server never waits long; the command is
// safe to run again after an interruption. Bytes the file held in free
// space from before (say, a row moved when a page split) are not reached:
// VACUUM rewrites the whole file.
func (db *DB) ShredPersonalData(ctx context.Context, petitionIDs []int64, at time.Time) (ShredResult, error) {
	var res ShredResult
	in, args := petitionFilter(petitionIDs, 2)
	err := db.secureTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE data_keys SET wrapped = NULL, destroyed_at = $1
			WHERE destroyed_at IS NULL`+in, append([]any{at.UTC()}, args...)...)
		if err != nil {
			return fmt.Errorf("destroy data keys: %w", err)
		}
		res.Keys, _ = r.RowsAffected()
		r, err = tx.ExecContext(ctx, `UPDATE outbox SET payload_enc = NULL, failed_at = $1,
			last_error = 'personal data shredded' WHERE sent_at IS NULL AND failed_at IS NULL
			AND signature_id IN (SELECT id FROM signatures WHERE TRUE`+in+`)`, append([]any{at.UTC()}, args...)...)
		if err != nil {
			return fmt.Errorf("drop queued mail: %w", err)
		}
		res.Mails, _ = r.RowsAffected()
		return nil
	})
	if err != nil {
		return res, err
	}
	in, args = petitionFilter(petitionIDs, 1)
	args = append(args, rekeyBatch)
	for {
		var n int64
		err := db.secureTx(ctx, func(tx *sql.Tx) error {
			r, err := tx.ExecContext(ctx, `UPDATE signatures SET name_enc = NULL, email_enc = NULL, city_enc = NULL,
				comment_enc = NULL WHERE id IN (SELECT id FROM signatures WHERE key_id IS NULL AND `+sealedFields+in+
				fmt.Sprintf(` ORDER BY id LIMIT $%d)`, len(args)), args...)
			if err != nil {
				return fmt.Errorf("erase sealed fields: %w", err)
			}
			n, _ = r.RowsAffected()
			return nil
		})
		res.LegacyRows += n
		if err != nil || n == 0 {
			return res, err
		}
	}
}

// petitionFilter is " AND petition_id IN (...)" with placeholders from
// $first, or nothing for every petition. SQLite binds $N by order of
// appearance, so the placeholders must appear in the statement in order.
func petitionFilter(ids []int64, first int) (string, []any) {
	if len(ids) == 0 {
		return "", nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = fmt.Sprintf("$%d", first+i)
		args[i] = id
	}
	return " AND petition_id IN (" + strings.Join(marks, ", ") + ")", args
}

// secureTx runs fn in a transaction on one connection with secure_delete
// on, and puts the connection's setting back afterwards.
func (db *DB) secureTx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if db.dialect == "sqlite" {
		var was int
		if err := conn.QueryRowContext(ctx, `PRAGMA secure_delete`).Scan(&was); err != nil {
			return fmt.Errorf("read secure_delete: %w", err)
		}
		if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
			return fmt.Errorf("turn secure_delete on: %w", err)
		}
		defer func() {
			if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA secure_delete = %d`, was)); rerr != nil {
				// A connection stuck with secure_delete on is only slower;
				// still, do not hand it back to the pool.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Checkpoint copies the write-ahead log into the database file and empties
// it, so bytes overwritten by secure_delete are overwritten in the file
// too. It is best effort while other connections read. PostgreSQL keeps old
// row versions until a vacuum: the small data_keys table is rewritten, so a
// destroyed key's wrapped value leaves the live table files at once (WAL
// archives and base backups keep it until they expire; see README, Keys).
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.dialect == "postgres" {
		_, err := db.sql.ExecContext(ctx, `VACUUM (FULL) data_keys`)
		return err
	}
	_, err := db.sql.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// sealedFields matches a signature that still holds a sealed field.
const sealedFields = `(name_enc IS NOT NULL OR email_enc IS NOT NULL OR city_enc IS NOT NULL OR comment_enc IS NOT NULL)`

// rekeyBatch is how many signatures one re-encryption or erasing
// transaction changes at most.
const rekeyBatch = 1000

// FindSignaturesToRekey returns up to limit signatures that hold a sealed
// field, with an id above afterID and at most untilID, lowest id first,
// that are sealed with the vault's own key or a data key not in current,
// or have an id above since (signed while a rotation ran: their keyed
// hashes need checking). Only the columns a re-encryption reads are set.
func (db *DB) FindSignaturesToRekey(ctx context.Context, afterID, untilID int64, current []int64, since int64, limit int) ([]*Signature, error) {
	args := []any{afterID, untilID, since}
	notCurrent := "TRUE"
	if len(current) > 0 {
		marks := make([]string, len(current))
		for i, id := range current {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		notCurrent = "key_id IS NULL OR key_id NOT IN (" + strings.Join(marks, ", ") + ")"
	}
	args = append(args, limit)
	q := `SELECT id, petition_id, email_hash, email_domain_hash, key_id, name_enc, email_enc, city_enc, comment_enc
		FROM signatures WHERE id > $1 AND id <= $2 AND ` + sealedFields + ` AND (id > $3 OR ` + notCurrent + `)
		ORDER BY id LIMIT $` + fmt.Sprint(len(args))
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find signatures to re-encrypt: %w", err)
	}
	defer rows.Close()
	var out []*Signature
	for rows.Next() {
		s := &Signature{}
		var keyID sql.NullInt64
		if err := rows.Scan(&s.ID, &s.PetitionID, &s.EmailHash, &s.EmailDomainHash, &keyID,
			&s.NameEnc, &s.EmailEnc, &s.CityEnc, &s.CommentEnc); err != nil {
			return nil, fmt.Errorf("find signatures to re-encrypt: %w", err)
		}
		if keyID.Valid {
			s.KeyID = &keyID.Int64
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Rekey is one re-encrypted signature: Old as FindSignaturesToRekey read
// it, New with its key id, keyed hashes and sealed fields to store.
type Rekey struct {
	Old, New *Signature
}

// RekeyResult says what UpdateRekeyed did with a batch, by index.
type RekeyResult struct {
	Updated   int
	Stale     []int // the row changed since it was read (withdrawn, erased…): read it again
	Conflicts []int // another signature of the petition already has the new email hash
}

const rekeySQL = `UPDATE signatures SET key_id = $1, email_hash = $2, email_domain_hash = $3,
	name_enc = $4, email_enc = $5, city_enc = $6, comment_enc = $7
WHERE id = $8 AND key_id IS NOT DISTINCT FROM $9 AND email_hash = $10 AND name_enc IS NOT DISTINCT FROM $11
	AND email_enc IS NOT DISTINCT FROM $12 AND city_enc IS NOT DISTINCT FROM $13 AND comment_enc IS NOT DISTINCT FROM $14`

// UpdateRekeyed stores a batch of re-encrypted signatures in one short
// transaction with secure_delete on, so the old ciphertexts are
// overwritten. A row is changed only if it still holds exactly what was
// read: a signature withdrawn or erased meanwhile is never given its
// personal data back.
func (db *DB) UpdateRekeyed(ctx context.Context, batch []Rekey) (RekeyResult, error) {
	var res RekeyResult
	err := db.secureTx(ctx, func(tx *sql.Tx) error {
		res = RekeyResult{}
		stmt, err := tx.PrepareContext(ctx, rekeySQL)
		if err != nil {
			return fmt.Errorf("prepare re-encryption: %w", err)
		}
		defer stmt.Close()
		for i, r := range batch {
			o, n := r.Old, r.New
			if !bytes.Equal(o.EmailHash, n.EmailHash) {
				var taken int
				err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM signatures WHERE petition_id = $1 AND email_hash = $2`,
					o.PetitionID, n.EmailHash).Scan(&taken)
				if err != nil {
					return fmt.Errorf("check email hash: %w", err)
				}
				if taken > 0 {
					res.Conflicts = append(res.Conflicts, i)
					continue
				}
			}
			out, err := stmt.ExecContext(ctx, n.KeyID, n.EmailHash, n.EmailDomainHash, n.NameEnc, n.EmailEnc, n.CityEnc,
				n.CommentEnc, o.ID, o.KeyID, o.EmailHash, o.NameEnc, o.EmailEnc, o.CityEnc, o.CommentEnc)
			if err != nil {
				return fmt.Errorf("re-encrypt signature %d: %w", o.ID, translate(err))
			}
			if k, _ := out.RowsAffected(); k == 0 {
				res.Stale = append(res.Stale, i)
				continue
			}
			res.Updated++
		}
		return nil
	})
	return res, err
}

// CountSignaturesByKey returns how many signatures of a petition (of all
// when petitionID is 0) hold sealed fields under each data key; key 0
// counts those sealed with the vault's own field key.
func (db *DB) CountSignaturesByKey(ctx context.Context, petitionID int64) (map[int64]int64, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT COALESCE(key_id, 0), COUNT(*) FROM signatures
		WHERE `+sealedFields+` AND ($1 = 0 OR petition_id = $1) GROUP BY key_id`, petitionID)
	if err != nil {
		return nil, fmt.Errorf("count signatures by key: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// MaxSignatureID returns the highest signature id, 0 when there is none.
func (db *DB) MaxSignatureID(ctx context.Context) (int64, error) {
	var id int64
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM signatures`).Scan(&id)
	return id, err
}

// keyRotationMark is the meta row holding the highest signature id when the
// last key rotation began; rows above it were signed during the rotation.
const keyRotationMark = "key_rotation_from"

// SetKeyRotationMark records where a key rotation began.
func (db *DB) SetKeyRotationMark(ctx context.Context, id int64) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, keyRotationMark, id)
	return err
}

// KeyRotationMark returns where the last unfinished key rotation began;
// ok is false when there is none.
func (db *DB) KeyRotationMark(ctx context.Context) (id int64, ok bool, err error) {
	err = db.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, keyRotationMark).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// ClearKeyRotationMark forgets the rotation mark once it is finished.
func (db *DB) ClearKeyRotationMark(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx, `DELETE FROM meta WHERE key = $1`, keyRotationMark)
	return err
}

// ResealClientTagKeys replaces every sealed client-tag key with what reseal
// returns for it (nil leaves it), in one transaction with secure_delete on.
func (db *DB) ResealClientTagKeys(ctx context.Context, reseal func(day string, sealed []byte) ([]byte, error)) (int, error) {
	n := 0
	err := db.secureTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT day, key_enc FROM client_tag_keys`)
		if err != nil {
			return fmt.Errorf("read client-tag keys: %w", err)
		}
		type tagKey struct {
			day    string
			sealed []byte
		}
		var keys []tagKey
		for rows.Next() {
			var k tagKey
			if err := rows.Scan(&k.day, &k.sealed); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, k := range keys {
			fresh, err := reseal(k.day, k.sealed)
			if err != nil {
				return err
			}
			if fresh == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE client_tag_keys SET key_enc = $1 WHERE day = $2`, fresh, k.day); err != nil {
				return fmt.Errorf("reseal client-tag key: %w", err)
			}
			n++
		}
		return nil
	})
	return n, err
}
