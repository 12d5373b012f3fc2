package store

import (
	"context"
	"fmt"
)

// ClientTagKey returns the sealed key for day ("2006-01-02"), storing
// candidate first if no key exists for that day yet. Every server instance
// sharing the database ends up with the same key for a day.
func (db *DB) ClientTagKey(ctx context.Context, day string, candidate []byte) ([]byte, error) {
	_, err := db.sql.ExecContext(ctx,
		`INSERT INTO client_tag_keys (day, key_enc, created_at) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING`,
		day, candidate, db.now())
	if err != nil {
		return nil, fmt.Errorf("store client-tag key: %w", err)
	}
	var key []byte
	if err := db.sql.QueryRowContext(ctx, `SELECT key_enc FROM client_tag_keys WHERE day = $1`, day).Scan(&key); err != nil {
		return nil, fmt.Errorf("read client-tag key: %w", translate(err))
	}
	return key, nil
}

// DeleteClientTagKeysBefore deletes the keys of days before day, after which
// the tags made with them can no longer be linked to any network.
func (db *DB) DeleteClientTagKeysBefore(ctx context.Context, day string) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM client_tag_keys WHERE day < $1`, day)
	if err != nil {
		return 0, fmt.Errorf("delete old client-tag keys: %w", err)
	}
	return res.RowsAffected()
}
