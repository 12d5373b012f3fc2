// Package letters turns a petition's signatures into one letter per
// jurisdiction, addressed to the office that can impose sanctions there:
// the ask framed for what its regime covers, the number of confirmed
// signers living there, the named targets it has and has not designated,
// the names of signers who consented, and an annex with a verification
// digest that each signer can check at /verify. It writes the letters as
// print-ready HTML, PDF and a ZIP of all of them, and keeps each
// jurisdiction's status (draft, sent, acknowledged, replied, designated).
package letters

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/pdf"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
	"github.com/cambodia-sanctions/campaign/web"
)

// EU is the code of the European Union's letter, to the High
// Representative; it counts the signers of every member state.
const EU = "EU"

// Store is what letters need from the database.
type Store interface {
	ScanLetterSigners(ctx context.Context, petitionID int64, fn func(*store.LetterSigner) error) error
	FindReceiptHashes(ctx context.Context, petitionID int64, ids []int64) ([][]byte, error)
	CreateLetterDigests(ctx context.Context, ds []*store.LetterDigest, audit *store.AuditEntry) error
	FindLetterDigestsByRoot(ctx context.Context, petitionID int64, root []byte) ([]*store.LetterDigest, error)
	LatestLetterDigests(ctx context.Context, petitionID int64) (map[string]*store.LetterDigest, error)
	AddLetterStatus(ctx context.Context, st *store.LetterStatus, audit *store.AuditEntry) error
	FindLetterStatuses(ctx context.Context, petitionID int64) ([]*store.LetterStatus, error)
	FindLetterStatusHistory(ctx context.Context, petitionID int64, code string) ([]*store.LetterStatus, error)
	FindJurisdictionOverrides(ctx context.Context) ([]*store.JurisdictionOverride, error)
	SaveJurisdictionOverride(ctx context.Context, o *store.JurisdictionOverride, audit *store.AuditEntry) error
	FindLetterTemplates(ctx context.Context, petitionID int64) ([]*store.LetterTemplate, error)
	SaveLetterTemplate(ctx context.Context, t *store.LetterTemplate, audit *store.AuditEntry) error
	DeleteLetterTemplate(ctx context.Context, petitionID int64, lang string, audit *store.AuditEntry) (bool, error)
	CountByCountry(ctx context.Context, petitionID int64, status string) ([]store.CountryCount, error)
}

// Unsealer decrypts a sealed field (*vault.Vault).
type Unsealer interface {
	Open(sealed, aad []byte) ([]byte, error)
}

// FieldOpener opens a sealed field with the data key keyID, or with the
// vault's own field key when keyID is nil (*signing.Keyring).
type FieldOpener interface {
	OpenField(ctx context.Context, keyID *int64, sealed, aad []byte) ([]byte, error)
}

// Options are the service's dependencies.
type Options struct {
	Registry *jurisdiction.Registry
	Store    Store
	Vault    Unsealer
	// Keys opens names sealed under data keys. When nil, a keyring over
	// Store and Vault is made if they are a *store.DB and a *vault.Vault;
	// otherwise only rows sealed with Vault itself open.
	Keys      FieldOpener
	Templates *Templates
	// Fonts for the PDFs; nil loads them from the embedded web assets.
	Fonts *pdf.Fonts
	// BaseURL is the site's public address; letters point signers to
	// BaseURL/verify.
	BaseURL string
	Now     func() time.Time
	// Workers bounds the PDFs rendered at once (default: one per CPU).
	Workers int
}

// Service composes, records and writes letters.
type Service struct {
	reg       *jurisdiction.Registry
	store     Store
	keys      FieldOpener
	templates *Templates
	fonts     *pdf.Fonts
	verifyURL string
	now       func() time.Time
	workers   int
	pool      chan *pdf.Renderer
	print     *printTemplates
}

// New returns a service over o.
func New(o Options) (*Service, error) {
	if o.Registry == nil || o.Store == nil || o.Vault == nil || o.Templates == nil {
		return nil, errors.New("letters: New needs a registry, a store, a vault and templates")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Fonts == nil {
		f, err := pdf.LoadFonts(web.FS)
		if err != nil {
			return nil, fmt.Errorf("letters: load fonts: %w", err)
		}
		o.Fonts = f
	}
	pt, err := parsePrintTemplates()
	if err != nil {
		return nil, err
	}
	if o.Keys == nil {
		o.Keys = defaultOpener(o.Store, o.Vault)
	}
	return &Service{reg: o.Registry, store: o.Store, keys: o.Keys, templates: o.Templates, fonts: o.Fonts,
		verifyURL: strings.TrimRight(o.BaseURL, "/") + "/verify", now: o.Now, workers: o.Workers,
		pool: make(chan *pdf.Renderer, o.Workers), print: pt}, nil
}

// Registry returns the jurisdictions and targets as loaded from config/.
func (s *Service) Registry() *jurisdiction.Registry { return s.reg }

// Templates returns the letter templates loaded from config/letters.
func (s *Service) Templates() *Templates { return s.templates }

// Actor is who generates letters or changes their status, for the audit
// log and the digests.
type Actor struct {
	ID   *int64 // the organizer's account; nil for the command line
	Name string // the organizer's email, or "cli"
}

func (a Actor) audit(action, target, detail string, rows int64) *store.AuditEntry {
	return &store.AuditEntry{ActorID: a.ID, Actor: a.Name, Action: action, Target: target, Detail: detail, RowCount: rows}
}

// Letter is one generated letter.
type Letter struct {
	// Jurisdiction is the addressee's jurisdiction with the organizers'
	// corrections applied.
	Jurisdiction jurisdiction.Jurisdiction
	Language     string // of the template used
	Title        string
	Signers      int64 // confirmed signers counted in this letter
	Total        int64 // confirmed signers of the petition in all countries
	Names        int   // names printed
	Designated   int   // named targets this jurisdiction has designated
	NotYet       int   // named targets designated elsewhere, not here
	Root         Hash
	DigestID     int64
	GeneratedAt  time.Time
	// Check lists why the letter must be verified before mailing
	// ("address": the address is not confirmed; "facts": the facts about
	// this jurisdiction are not all confirmed); empty when none.
	Check  []string
	Blocks []pdf.Block
}

// VerifyBeforeMailing reports whether the letter carries facts not yet
// confirmed.
func (l *Letter) VerifyBeforeMailing() bool { return len(l.Check) > 0 }

// Batch is the letters of one generation.
type Batch struct {
	Petition    *store.Petition
	Letters     []*Letter
	Total       int64
	GeneratedAt time.Time
}

// ErrUnknownJurisdiction is returned for a code the petition does not address.
var ErrUnknownJurisdiction = errors.New("letters: the petition is not addressed to this jurisdiction")

// Generate composes the letters of petition p to the jurisdictions codes
// (all it addresses when codes is empty), records their digests and an
// audit entry ("letters.generate") in one transaction, and returns them.
func (s *Service) Generate(ctx context.Context, p *store.Petition, codes []string, by Actor) (*Batch, error) {
	js, err := s.Jurisdictions(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(codes) > 0 {
		if js, err = pick(js, codes); err != nil {
			return nil, err
		}
	}
	tpls, err := s.petitionTemplates(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	t, err := s.tally(ctx, p.ID, js)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	b := &Batch{Petition: p, Total: t.total, GeneratedAt: now}
	roots := t.roots(s.workers)
	digests := make([]*store.LetterDigest, len(js))
	for i, j := range js {
		g := t.group(j.Code)
		l, err := s.compose(p, j, g, t.total, roots[j.Code], tpls, now)
		if err != nil {
			return nil, fmt.Errorf("letter to %s: %w", j.Code, err)
		}
		b.Letters = append(b.Letters, l)
		digests[i] = &store.LetterDigest{PetitionID: p.ID, Jurisdiction: j.Code, SignerCount: int64(len(g.ids)),
			TotalCount: t.total, Root: l.Root[:], Members: EncodeMembers(g.ids), GeneratedAt: now, GeneratedBy: by.Name}
	}
	detail := fmt.Sprintf("jurisdictions: %s", strings.Join(codesOf(js), " "))
	if err := s.store.CreateLetterDigests(ctx, digests, by.audit("letters.generate", p.Slug, detail, int64(len(js)))); err != nil {
		return nil, err
	}
	for i, d := range digests {
		b.Letters[i].DigestID = d.ID
	}
	return b, nil
}

// pick returns the jurisdictions of js with the given codes, in js's order.
func pick(js []jurisdiction.Jurisdiction, codes []string) ([]jurisdiction.Jurisdiction, error) {
	want := map[string]bool{}
	for _, code := range codes {
		code = strings.ToUpper(strings.TrimSpace(code))
		if !slices.ContainsFunc(js, func(j jurisdiction.Jurisdiction) bool { return j.Code == code }) {
			return nil, fmt.Errorf("%w: %q", ErrUnknownJurisdiction, code)
		}
		want[code] = true
	}
	var out []jurisdiction.Jurisdiction
	for _, j := range js {
		if want[j.Code] {
			out = append(out, j)
		}
	}
	return out, nil
}

func codesOf(js []jurisdiction.Jurisdiction) []string {
	out := make([]string, len(js))
	for i, j := range js {
		out[i] = j.Code
	}
	return out
}

// Jurisdictions returns the jurisdictions petition p addresses (all of
// the registry's when it names none) in the registry's board order, with
// the organizers' corrections applied. Codes the registry does not know
// are left out.
func (s *Service) Jurisdictions(ctx context.Context, p *store.Petition) ([]jurisdiction.Jurisdiction, error) {
	overrides, err := s.overrides(ctx)
	if err != nil {
		return nil, err
	}
	var out []jurisdiction.Jurisdiction
	for _, j := range s.reg.Sorted() {
		if len(p.Countries) == 0 || slices.Contains(p.Countries, j.Code) {
			out = append(out, applyOverride(j, overrides[j.Code]))
		}
	}
	return out, nil
}

// Jurisdiction returns one jurisdiction of the registry with the
// organizers' corrections applied.
func (s *Service) Jurisdiction(ctx context.Context, code string) (jurisdiction.Jurisdiction, bool, error) {
	j, ok := s.reg.ByCode(code)
	if !ok {
		return jurisdiction.Jurisdiction{}, false, nil
	}
	overrides, err := s.overrides(ctx)
	if err != nil {
		return jurisdiction.Jurisdiction{}, false, err
	}
	return applyOverride(*j, overrides[code]), true, nil
}

func (s *Service) overrides(ctx context.Context) (map[string]*store.JurisdictionOverride, error) {
	rows, err := s.store.FindJurisdictionOverrides(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*store.JurisdictionOverride, len(rows))
	for _, o := range rows {
		out[o.Code] = o
	}
	return out, nil
}

// applyOverride returns j with an organizer's correction applied; j's
// slices are copied, so the registry is never changed.
func applyOverride(j jurisdiction.Jurisdiction, o *store.JurisdictionOverride) jurisdiction.Jurisdiction {
	j.Address = slices.Clone(j.Address)
	j.Sources = slices.Clone(j.Sources)
	j.CopyTo = slices.Clone(j.CopyTo)
	j.Verify = slices.Clone(j.Verify)
	if o == nil {
		return j
	}
	if o.Addressee != "" && o.Addressee != j.Addressee {
		// The local title was the old addressee's.
		j.Addressee, j.AddresseeLocal = o.Addressee, ""
	}
	if lines := splitLines(o.Address); len(lines) > 0 {
		j.Address = lines
	}
	if o.Language != "" {
		j.Language = o.Language
	}
	j.AddressConfirmed = o.AddressConfirmed
	return j
}

// splitLines returns the non-blank lines of s, trimmed.
func splitLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// Reasons a letter must be verified before mailing.
const (
	CheckAddress = "address" // the postal address is not confirmed
	CheckFacts   = "facts"   // the facts about the jurisdiction are not all confirmed
)

// Checks lists why a letter to j must be verified before mailing.
func Checks(j jurisdiction.Jurisdiction) []string {
	var out []string
	if !j.AddressConfirmed || len(j.Address) == 0 {
		out = append(out, CheckAddress)
	}
	if j.Confidence != jurisdiction.Confirmed {
		out = append(out, CheckFacts)
	}
	return out
}

// defaultOpener is a keyring over st and v when they can make one, else
// an opener of rows sealed with v itself.
func defaultOpener(st Store, v Unsealer) FieldOpener {
	ks, okStore := st.(signing.KeyStore)
	vv, okVault := v.(*vault.Vault)
	if okStore && okVault {
		return signing.NewKeyring(ks, vv)
	}
	return vaultOpener{v}
}

// vaultOpener opens fields sealed with the vault's own key only.
type vaultOpener struct{ v Unsealer }

func (o vaultOpener) OpenField(_ context.Context, keyID *int64, sealed, aad []byte) ([]byte, error) {
	if keyID != nil {
		return nil, fmt.Errorf("letters: field sealed with data key %d, and no keyring", *keyID)
	}
	return o.v.Open(sealed, aad)
}
