package letters_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/pdf"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// TestAskFollowsWhatTheRegimeCovers composes a letter per regime type and
// checks the ask the letter makes, in the words a reader sees.
func TestAskFollowsWhatTheRegimeCovers(t *testing.T) {
	f := newFixture(t)
	f.add(signer{name: "A", country: "US"}, signer{name: "B", country: "GB"}, signer{name: "C", country: "FR"})
	b := f.generate()
	tests := []struct {
		code      string
		regime    string
		want      []string
		forbidden []string
	}{
		{"US", "covers arbitrary detention", []string{"allows your government to act against those responsible for arbitrary arrest and detention",
			"responsible for political imprisonment"}, []string{"does not cover arbitrary detention", "create such a law"}},
		{"CA", "covers arbitrary detention", []string{"arbitrary arrest and detention"}, []string{"does not cover", "create such a law"}},
		{"GB", "no arbitrary detention", []string{"does not cover arbitrary detention as such",
			"mistreatment of political prisoners in detention", "forced labour", "corruption"},
			[]string{"act against those responsible for arbitrary arrest", "create such a law"}},
		{"AU", "no arbitrary detention", []string{"does not cover arbitrary detention as such", "forced labour", "corruption"},
			[]string{"create such a law"}},
		{"NZ", "no regime", []string{"no law in New Zealand", "create such a law"}, []string{"does not cover", "Your sanctions regime"}},
		{"JP", "no regime", []string{"create such a law"}, []string{"does not cover", "Your sanctions regime"}},
		{"EU", "EU regime, to the High Representative", []string{"on a proposal from a member state or from you",
			"arbitrary arrests and detentions"}, []string{"create such a law", "does not cover"}},
		{"FR", "EU member state", []string{"Conseil de l’Union européenne", "sur proposition de tout État membre",
			"détentions arbitraires"}, []string{"créer une telle loi", "ne couvre pas"}},
		{"DE", "EU member state, in German", []string{"Rat der Europäischen Union", "willkürliche Festnahmen"},
			[]string{"erfasst willkürliche Inhaftierung als solche nicht"}},
		{"CH", "no regime, in German", []string{"Bislang gibt es in der Schweiz kein Gesetz", "damit sich die Schweiz"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.code+" "+tt.regime, func(t *testing.T) {
			got := text(letterTo(t, b, tt.code))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("the letter to %s lacks %q:\n%s", tt.code, w, got)
				}
			}
			for _, w := range tt.forbidden {
				if strings.Contains(got, w) {
					t.Errorf("the letter to %s says %q, which does not fit its regime", tt.code, w)
				}
			}
		})
	}
}

func TestLetterLanguageFallsBackToEnglish(t *testing.T) {
	f := newFixture(t)
	b := f.generate("FR", "DE", "AT", "BE", "EE", "JP", "GB")
	for code, want := range map[string]string{"FR": "fr", "DE": "de", "AT": "de", "BE": "fr", "EE": "en", "JP": "en", "GB": "en"} {
		if got := letterTo(t, b, code).Language; got != want {
			t.Errorf("letter to %s written in %q, want %q", code, got, want)
		}
	}
	if got := text(letterTo(t, b, "EE")); !strings.Contains(got, "Dear Sir or Madam") {
		t.Errorf("the letter to Estonia (no Estonian template) is not the English one:\n%s", got)
	}
}

// TestCounts checks who counts where: residents in their country's letter,
// residents of any member state in the EU's, and only confirmed signatures.
func TestCounts(t *testing.T) {
	f := newFixture(t)
	f.add(
		signer{name: "Fr One", country: "FR"}, signer{name: "Fr Two", country: "FR"},
		signer{name: "De One", country: "DE"},
		signer{name: "Gb One", country: "GB"},
		signer{name: "Kh One", country: "KH"}, // no letter to Cambodia, counts in the total
		signer{name: "No One", country: "NO"}, // aligns with the EU but is no member
		signer{name: "Fr Pending", country: "FR", status: store.StatusPending},
		signer{name: "De Withdrawn", country: "DE", status: store.StatusWithdrawn},
		signer{name: "Gb Invalid", country: "GB", status: store.StatusInvalidated},
	)
	b := f.generate()
	if b.Total != 6 {
		t.Errorf("total %d, want 6 confirmed signatures", b.Total)
	}
	want := map[string]int64{"FR": 2, "DE": 1, "GB": 1, "EU": 3, "NO": 1, "US": 0, "IT": 0}
	for code, n := range want {
		l := letterTo(t, b, code)
		if l.Signers != n || l.Total != 6 {
			t.Errorf("letter to %s counts %d of %d, want %d of 6", code, l.Signers, l.Total, n)
		}
	}
	if got := text(letterTo(t, b, "EU")); !strings.Contains(got, "We write on behalf of 3 people living in the member states") {
		t.Errorf("the EU letter does not state its 3 signers:\n%s", got)
	}
	if got := text(letterTo(t, b, "FR")); !strings.Contains(got, "qui résident en France\u00a0: 2 sur 6 signataires") {
		t.Errorf("the French letter does not state 2 of 6:\n%s", got)
	}
}

// TestNamesOnlyWithConsent: names of consenting signers only, grouped by
// city, and never an email address.
func TestNamesOnlyWithConsent(t *testing.T) {
	f := newFixture(t)
	sigs := f.add(
		signer{name: "Sok Dara", country: "GB", city: "London", named: true},
		signer{name: "សុខ ចាន់", country: "GB", city: " london ", named: true},
		signer{name: "Amelia Hidden", country: "GB", city: "London"},
		signer{name: "Bo Nocity", country: "GB", named: true},
		signer{name: "Chan Leeds", country: "GB", city: "Leeds", named: true},
		signer{name: "Pending Named", country: "GB", named: true, status: store.StatusPending},
		signer{name: "Marie Lyon", country: "FR", city: "Lyon", named: true},
	)
	b := f.generate("GB", "EU", "FR")
	gb := text(letterTo(t, b, "GB"))
	for _, want := range []string{"Leeds: Chan Leeds", "London: Sok Dara, សុខ ចាន់", "City not given: Bo Nocity"} {
		if !strings.Contains(gb, want) {
			t.Errorf("the UK letter lacks %q:\n%s", want, gb)
		}
	}
	if strings.Index(gb, "Leeds:") > strings.Index(gb, "London:") || strings.Index(gb, "London:") > strings.Index(gb, "City not given") {
		t.Error("cities are not in order, with names without a city last")
	}
	for _, never := range []string{"Amelia Hidden", "Pending Named", "Marie Lyon"} {
		if strings.Contains(gb, never) {
			t.Errorf("the UK letter names %q, who did not consent, is not confirmed or lives elsewhere", never)
		}
	}
	if l := letterTo(t, b, "GB"); l.Names != 4 || l.Signers != 5 {
		t.Errorf("UK letter: %d names of %d signers, want 4 of 5", l.Names, l.Signers)
	}
	if eu := text(letterTo(t, b, "EU")); !strings.Contains(eu, "Lyon (France): Marie Lyon") {
		t.Errorf("the EU letter does not name the French signer with her country:\n%s", eu)
	}
	for _, l := range b.Letters {
		for _, s := range sigs {
			if strings.Contains(text(l), s.email) || strings.Contains(text(l), "mail.example") {
				t.Fatalf("the letter to %s contains an email address", l.Jurisdiction.Code)
			}
		}
	}
}

// TestCoordinationGap lists the named targets designated by this
// jurisdiction apart from those designated elsewhere only.
func TestCoordinationGap(t *testing.T) {
	f := newFixture(t)
	b := f.generate("US", "GB", "FR", "NZ", "NO")
	section := func(code string) (designated, notYet string) {
		s := text(letterTo(t, b, code))
		welcome := strings.Index(s, "has already designated")
		if welcome < 0 {
			welcome = strings.Index(s, "ait déjà sanctionné")
		}
		others := strings.Index(s, "Other democracies have already designated")
		if others < 0 {
			others = strings.Index(s, "D’autres démocraties")
		}
		end := strings.Index(s, "Sanctions work best together")
		if end < 0 {
			end = strings.Index(s, "Les sanctions sont plus efficaces")
		}
		if welcome >= 0 {
			designated = s[welcome:end]
		}
		if others >= 0 {
			notYet = s[others:max(welcome, others)]
			if welcome < others {
				notYet = s[others:end]
			}
		}
		return designated, notYet
	}
	tests := []struct {
		code                 string
		designated, notYet   []string
		notDesignated, notIn []string
	}{
		{"US", []string{"Hing Bun Hieng", "Chen Zhi"}, nil, []string{"Zhu Zhongbaio"}, []string{"Hing Bun Hieng"}},
		{"GB", []string{"Chen Zhi"}, []string{"Hing Bun Hieng", "Ly Yong Phat"}, []string{"Hing Bun Hieng"}, []string{"Chen Zhi"}},
		{"FR", []string{"Chen Zhi"}, []string{"Hing Bun Hieng"}, []string{"Hing Bun Hieng"}, []string{"Chen Zhi"}},
		{"NZ", nil, []string{"Hing Bun Hieng", "Chen Zhi"}, nil, nil},
		{"NO", nil, []string{"Chen Zhi"}, nil, nil}, // aligning with EU listings is not an EU listing
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			designated, notYet := section(tt.code)
			for _, n := range tt.designated {
				if !strings.Contains(strings.ToLower(designated), strings.ToLower(n)) {
					t.Errorf("%s: %q not among those already designated:\n%s", tt.code, n, designated)
				}
			}
			for _, n := range tt.notYet {
				if !strings.Contains(strings.ToLower(notYet), strings.ToLower(n)) {
					t.Errorf("%s: %q not in the coordination gap:\n%s", tt.code, n, notYet)
				}
			}
			for _, n := range tt.notDesignated {
				if strings.Contains(strings.ToLower(designated), "\n"+strings.ToLower(n)) {
					t.Errorf("%s: %q listed as designated here", tt.code, n)
				}
			}
			for _, n := range tt.notIn {
				// A bullet starts with the name; another target's role may mention it.
				if strings.Contains(strings.ToLower(notYet), "\n"+strings.ToLower(n)) {
					t.Errorf("%s: %q listed in the gap", tt.code, n)
				}
			}
			l := letterTo(t, b, tt.code)
			d, n := f.reg.Gap(tt.code)
			if l.Designated != len(d) || l.NotYet != len(n) {
				t.Errorf("%s: letter counts %d designated and %d in the gap, the registry %d and %d",
					tt.code, l.Designated, l.NotYet, len(d), len(n))
			}
		})
	}
}

func TestVerifyBeforeMailing(t *testing.T) {
	f := newFixture(t)
	b := f.generate("GB", "NZ", "CH")
	if l := letterTo(t, b, "GB"); l.VerifyBeforeMailing() {
		t.Errorf("the UK letter (address and facts confirmed) is flagged: %v", l.Check)
	}
	if l := letterTo(t, b, "NZ"); !slices.Contains(l.Check, letters.CheckAddress) {
		t.Errorf("the New Zealand letter (address unconfirmed) is not flagged for its address: %v", l.Check)
	}
	if l := letterTo(t, b, "CH"); !slices.Contains(l.Check, letters.CheckFacts) {
		t.Errorf("the Swiss letter (facts partly confirmed) is not flagged for its facts: %v", l.Check)
	}
}

// TestCorrectionsApply: an organizer's correction of a jurisdiction shows
// in its letter, and confirming the address clears that flag.
func TestCorrectionsApply(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.svc.SaveJurisdiction(ctx, "NZ", letters.Correction{Addressee: "Minister of Foreign Affairs and Trade",
		Address: "Private Bag 18-901\n\n  Wellington 6160 ", AddressConfirmed: true, Language: "en"}, letters.Actor{Name: "o@campaign.test"})
	if err != nil {
		t.Fatal(err)
	}
	l := letterTo(t, f.generate("NZ"), "NZ")
	if l.Jurisdiction.Addressee != "Minister of Foreign Affairs and Trade" || !slices.Equal(l.Jurisdiction.Address, []string{"Private Bag 18-901", "Wellington 6160"}) {
		t.Errorf("correction not applied: %q %q", l.Jurisdiction.Addressee, l.Jurisdiction.Address)
	}
	if len(l.Blocks) < 3 || l.Blocks[0] != (pdf.Block{Style: pdf.StyleAddress, Text: "Minister of Foreign Affairs and Trade"}) ||
		l.Blocks[2].Text != "Wellington 6160" {
		t.Errorf("the letter is not addressed as corrected: %+v", l.Blocks[:3])
	}
	if slices.Contains(l.Check, letters.CheckAddress) {
		t.Error("a confirmed address is still flagged")
	}
	if orig, _ := f.reg.ByCode("NZ"); orig.AddressConfirmed || orig.Addressee == l.Jurisdiction.Addressee {
		t.Error("the correction changed the loaded registry itself")
	}
	err = f.svc.SaveJurisdiction(ctx, "NZ", letters.Correction{Addressee: "", Language: "english"}, letters.Actor{Name: "o"})
	var ve *letters.ValidationError
	if !errors.As(err, &ve) || ve.Fields["addressee"] == "" || ve.Fields["language"] == "" {
		t.Errorf("an empty addressee and a bad language: %v, want a validation error on both", err)
	}
}

// TestGenerateRecordsDigestsAndAudit: one digest per letter, over exactly
// the counted signatures, and one audit entry for the generation.
func TestGenerateRecordsDigestsAndAudit(t *testing.T) {
	f := newFixture(t)
	sigs := f.add(signer{name: "A", country: "FR"}, signer{name: "B", country: "DE"},
		signer{name: "C", country: "FR", status: store.StatusInvalidated}, signer{name: "D", country: "FR"})
	b := f.generate("FR", "EU", "DE")
	ctx := context.Background()
	latest, err := f.db.LatestLetterDigests(ctx, f.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for code, wantIDs := range map[string][]int64{"FR": {sigs[0].id, sigs[3].id}, "DE": {sigs[1].id}, "EU": {sigs[0].id, sigs[1].id, sigs[3].id}} {
		l := letterTo(t, b, code)
		d := latest[code]
		if d == nil || d.ID != l.DigestID || string(d.Root) != string(l.Root[:]) || d.SignerCount != int64(len(wantIDs)) || d.TotalCount != 3 {
			t.Fatalf("%s: digest %+v does not match the letter (root %x, %d signers)", code, d, l.Root, l.Signers)
		}
		rows, err := f.db.FindLetterDigestsByRoot(ctx, f.p.ID, l.Root[:])
		if err != nil || len(rows) != 1 {
			t.Fatalf("%s: %d digests with the root, err %v", code, len(rows), err)
		}
		ids, err := letters.DecodeMembers(rows[0].Members)
		if err != nil || !slices.Equal(ids, wantIDs) {
			t.Errorf("%s: members %v, want %v (%v)", code, ids, wantIDs, err)
		}
		hashes, _ := f.db.FindReceiptHashes(ctx, f.p.ID, wantIDs)
		var leaves []letters.Hash
		for _, h := range hashes {
			leaves = append(leaves, letters.LeafHash(h))
		}
		if letters.Root(leaves) != l.Root {
			t.Errorf("%s: the root is not the Merkle root of the counted signatures' receipt hashes", code)
		}
		if !strings.Contains(text(l), letters.FormatRoot(l.Root[:])) {
			t.Errorf("%s: the annex does not print the root", code)
		}
		if rows[0].GeneratedBy != "organizer@campaign.test" || !rows[0].GeneratedAt.Equal(b.GeneratedAt) {
			t.Errorf("%s: generated by %q at %v", code, rows[0].GeneratedBy, rows[0].GeneratedAt)
		}
	}
	audit, _ := f.db.FindAudit(ctx, 0, 10)
	if len(audit) != 1 || audit[0].Action != "letters.generate" || audit[0].RowCount != 3 || audit[0].Target != f.p.Slug {
		t.Fatalf("audit %+v, want one letters.generate entry for 3 letters", audit)
	}
}

func TestGenerateUnknownJurisdiction(t *testing.T) {
	f := newFixture(t)
	f.p.Countries = store.StringList{"GB", "FR"}
	if _, err := f.svc.Generate(context.Background(), f.p, []string{"US"}, letters.Actor{Name: "x"}); !errors.Is(err, letters.ErrUnknownJurisdiction) {
		t.Errorf("a letter to a jurisdiction the petition does not address: %v", err)
	}
	b := f.generate()
	if len(b.Letters) != 2 {
		t.Errorf("%d letters for a petition addressed to 2 jurisdictions", len(b.Letters))
	}
}
