package letters_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/letters"
)

func TestStatusChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	by := letters.Actor{Name: "organizer@campaign.test"}
	today := f.clock.Now().Format(time.DateOnly)
	tests := []struct {
		name      string
		change    letters.StatusChange
		badFields []string // empty: accepted
	}{
		{"sent by post", letters.StatusChange{Status: "sent", Channel: "post", Date: "2026-02-27"}, nil},
		{"acknowledged", letters.StatusChange{Status: "acknowledged"}, nil},
		{"replied with a note", letters.StatusChange{Status: "replied", Note: "They will consider it."}, nil},
		{"designated", letters.StatusChange{Status: "designated", Date: today}, nil},
		{"back to sent to correct a mistake", letters.StatusChange{Status: "sent", Channel: "email", Date: today}, nil},
		{"draft again", letters.StatusChange{Status: "draft"}, nil},
		{"unknown status", letters.StatusChange{Status: "lost"}, []string{"status"}},
		{"sent without channel or date", letters.StatusChange{Status: "sent"}, []string{"channel", "date"}},
		{"sent by pigeon", letters.StatusChange{Status: "sent", Channel: "pigeon", Date: today}, []string{"channel"}},
		{"sent in the future", letters.StatusChange{Status: "sent", Channel: "post", Date: "2026-03-09"}, []string{"date"}},
		{"sent on no date", letters.StatusChange{Status: "sent", Channel: "post", Date: "27/02/2026"}, []string{"date"}},
		{"replied without a note", letters.StatusChange{Status: "replied", Note: "   "}, []string{"note"}},
	}
	accepted := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := f.svc.SetStatus(ctx, f.p, "GB", tt.change, by)
			if len(tt.badFields) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				accepted++
				if st.Status != tt.change.Status || st.ByActor != by.Name {
					t.Errorf("recorded %+v", st)
				}
				return
			}
			var ve *letters.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("accepted or failed otherwise: %v", err)
			}
			for _, field := range tt.badFields {
				if ve.Fields[field] == "" {
					t.Errorf("no message for %s: %v", field, ve.Fields)
				}
			}
		})
	}
	history, err := f.svc.History(ctx, f.p, "GB")
	if err != nil || len(history) != accepted {
		t.Fatalf("history of %d changes, want %d (%v)", len(history), accepted, err)
	}
	if history[0].Status != "draft" || history[len(history)-1].Status != "sent" || history[len(history)-1].Channel != "post" ||
		history[len(history)-1].At.Format(time.DateOnly) != "2026-02-27" {
		t.Errorf("history newest first: %+v … %+v", history[0], history[len(history)-1])
	}
	audit, _ := f.db.FindAudit(ctx, 0, 100)
	if len(audit) != accepted {
		t.Fatalf("%d audit entries for %d changes", len(audit), accepted)
	}
	for _, e := range audit {
		if e.Action != "letters.status" || e.Target != f.p.Slug+"/GB" || e.RowCount != 1 {
			t.Errorf("audit entry %+v", e)
		}
	}
	if audit[len(audit)-3].Detail != "replied on 2026-03-01; note recorded" {
		t.Errorf("the audit detail of a reply is %q; it must not quote the note", audit[len(audit)-3].Detail)
	}
	if _, err := f.svc.SetStatus(ctx, f.p, "ZZ", letters.StatusChange{Status: "sent"}, by); !errors.Is(err, letters.ErrUnknownJurisdiction) {
		t.Errorf("status of an unknown jurisdiction: %v", err)
	}
}

func TestBoard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.add(signer{name: "A", country: "FR"}, signer{name: "B", country: "DE"}, signer{name: "C", country: "GB"},
		signer{name: "D", country: "KH"}, signer{name: "E", country: "FR", status: "pending"})
	if _, err := f.svc.SetStatus(ctx, f.p, "GB", letters.StatusChange{Status: "sent", Channel: "hand",
		Date: "2026-02-28"}, letters.Actor{Name: "o"}); err != nil {
		t.Fatal(err)
	}
	f.generate("FR")
	rows, total, err := f.svc.Board(ctx, f.p)
	if err != nil {
		t.Fatal(err)
	}
	if total != 4 || len(rows) != len(f.reg.Jurisdictions) {
		t.Fatalf("board: %d rows, total %d; want %d rows, total 4", len(rows), total, len(f.reg.Jurisdictions))
	}
	for _, r := range rows {
		want := map[string]int64{"FR": 1, "DE": 1, "GB": 1, "EU": 2}[r.Jurisdiction.Code]
		if r.Signers != want {
			t.Errorf("%s: %d signers on the board, want %d", r.Jurisdiction.Code, r.Signers, want)
		}
		switch r.Jurisdiction.Code {
		case "GB":
			if r.Status == nil || r.Status.Status != "sent" || r.Changes != 1 {
				t.Errorf("GB status %+v", r.Status)
			}
		case "FR":
			if r.Status != nil || r.Digest == nil || r.Digest.SignerCount != 1 {
				t.Errorf("FR: status %+v, digest %+v; want a draft with its last digest", r.Status, r.Digest)
			}
		}
	}
}
