package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExportPageWalksThePrimaryKey guards the export's speed: every page
// must be read by walking ids up from the last one. A plan that uses the
// (petition, status, country) index instead has to sort all the
// petition's remaining rows for every page, which turns a million-row
// export from seconds into many minutes.
func TestExportPageWalksThePrimaryKey(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range []SignatureFilter{
		{PetitionID: 1},
		{PetitionID: 1, Status: StatusConfirmed},
		{PetitionID: 1, Country: "KH"},
		{PetitionID: 1, Status: StatusConfirmed, Country: "KH", SignedFrom: time.Now(), SignedBefore: time.Now()},
	} {
		where, args := f.exportWhere(42)
		rows, err := db.sql.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT id FROM signatures WHERE "+where+
			" ORDER BY id LIMIT 1000", args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, "INTEGER PRIMARY KEY (rowid>?)") || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("filter %+v: plan %q, want a search of the primary key from the last id and no sort", f, got)
		}
	}
}
