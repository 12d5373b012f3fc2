package server

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// ModerationStore is what signature search and bulk moderation need.
type ModerationStore interface {
	FindSignatures(ctx context.Context, f store.SignatureFilter, beforeID int64, limit int) ([]*store.Signature, error)
	CountMatchingSignatures(ctx context.Context, f store.SignatureFilter) (int64, error)
	InvalidateSignatures(ctx context.Context, f store.SignatureFilter) (store.ModerationResult, error)
	RestoreSignatures(ctx context.Context, f store.SignatureFilter) (store.ModerationResult, error)
}

// signaturesPerPage is the length of one page of search results.
const signaturesPerPage = 50

// maxReasonLength bounds the reason given for a bulk change, in characters.
const maxReasonLength = 500

// Bulk moderation actions.
const (
	actionInvalidate = "invalidate"
	actionRestore    = "restore"
)

// SignaturesPage is the moderation screen: a search over one petition's
// signatures, one page of results and the bulk action on all of them.
type SignaturesPage struct {
	Base
	Slug, PetitionTitle string
	Query               SignatureQuery
	Errors              map[string]string // field → message
	Searched            bool              // the query was valid and ran
	Total               int64             // signatures matching the query
	Rows                []SignatureRow
	NextURL, FirstURL   string // older results; back to the newest
	ShowEmail           bool   // owners only: the email column exists at all
	Action, Reason      string // the refused bulk form, kept
	Done                string // the bulk action just applied
	DoneRows            int64
}

// SignatureRow is one signature as the console shows it.
type SignatureRow struct {
	SignedAt                   string
	Status, Country            string
	Name, City, Comment, Email string
	Tag, ShortTag              string // client tag, hex
	Unreadable                 bool   // its fields did not decrypt
}

func (s *Server) handleAdminSignatureSearch(c *gin.Context) {
	p, ok := s.Petitions.BySlug(c.Param("slug"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	before, ok := parseBefore(c.Query("before"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	var q SignatureQuery
	_ = c.ShouldBindQuery(&q) // text fields only: binding cannot fail
	page := s.signaturesPage(c, p, q)
	if page.Done = c.Query("done"); page.Done != actionInvalidate && page.Done != actionRestore {
		page.Done = ""
	}
	page.DoneRows, _ = strconv.ParseInt(c.Query("rows"), 10, 64)
	status, err := s.searchSignatures(c, &page, p, before)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "admin_signatures", page)
}

// moderationForm is the bulk action with the search it applies to.
type moderationForm struct {
	SignatureQuery
	Action string `form:"action"`
	Reason string `form:"reason"`
}

// check adds to errs what is wrong with the action, the reason, or a
// search q too broad to act on.
func (f moderationForm) check(q SignatureQuery, errs map[string]string) {
	if f.Action != actionInvalidate && f.Action != actionRestore {
		errs["action"] = "admin.moderation.error.action"
	}
	if q.Empty() {
		// A blank search is the whole petition: too easy to do by mistake.
		errs["filter"] = "admin.moderation.error.no_filter"
	}
	if f.Reason == "" {
		errs["reason"] = "admin.moderation.error.reason"
	} else if utf8.RuneCountInString(f.Reason) > maxReasonLength {
		errs["reason"] = "admin.moderation.error.reason_long"
	}
}

func (s *Server) handleAdminSignatureModerate(c *gin.Context) {
	p, ok := s.Petitions.BySlug(c.Param("slug"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	var form moderationForm
	_ = c.ShouldBindWith(&form, binding.FormPost) // text fields only
	form.Reason = strings.TrimSpace(form.Reason)
	page := s.signaturesPage(c, p, form.SignatureQuery)
	page.Action, page.Reason = form.Action, form.Reason
	filter, errs := page.Query.filter(s, p.ID)
	form.check(page.Query, errs)
	if len(errs) > 0 {
		if _, err := s.searchSignatures(c, &page, p, 0); err != nil {
			s.fail(c, err)
			return
		}
		page.Errors = page.messages(errs)
		s.render(c, http.StatusUnprocessableEntity, "admin_signatures", page)
		return
	}
	ctx := c.Request.Context()
	apply := s.Console.InvalidateSignatures
	if form.Action == actionRestore {
		apply = s.Console.RestoreSignatures
	}
	// The live counters move by exactly what changed; no recount, so a
	// signature committing meanwhile is neither lost nor counted twice.
	var res store.ModerationResult
	err := s.Counter.Change(func() (err error) {
		if res, err = apply(ctx, filter); err != nil {
			return err
		}
		for country, delta := range res.ConfirmedDelta {
			s.Counter.Add(p.ID, country, delta)
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	n := res.Rows
	s.audit(c, "signatures."+form.Action, p.Slug,
		fmt.Sprintf("reason: %s; filter: %s", form.Reason, page.Query.String()), n)
	v := page.Query.Values()
	v.Set("done", form.Action)
	v.Set("rows", strconv.FormatInt(n, 10))
	c.Redirect(http.StatusSeeOther, signaturesURL(p.Slug, v))
}

func (s *Server) signaturesPage(c *gin.Context, p *petition.Petition, q SignatureQuery) SignaturesPage {
	q.normalize()
	b := s.adminBase(c, "admin.moderation.title")
	return SignaturesPage{Base: b, Slug: p.Slug, PetitionTitle: p.Title, Query: q,
		ShowEmail: b.Admin.Can(store.RoleOwner)}
}

// searchSignatures validates the page's query and fills in one page of
// results below before; it returns the status to answer with.
func (s *Server) searchSignatures(c *gin.Context, page *SignaturesPage, p *petition.Petition, before int64) (int, error) {
	filter, errs := page.Query.filter(s, p.ID)
	if len(errs) > 0 {
		page.Errors = page.messages(errs)
		return http.StatusUnprocessableEntity, nil
	}
	ctx := c.Request.Context()
	total, err := s.Console.CountMatchingSignatures(ctx, filter)
	if err != nil {
		return 0, err
	}
	sigs, err := s.Console.FindSignatures(ctx, filter, before, signaturesPerPage+1)
	if err != nil {
		return 0, err
	}
	page.Searched, page.Total = true, total
	if len(sigs) > signaturesPerPage {
		sigs = sigs[:signaturesPerPage]
		v := page.Query.Values()
		v.Set("before", strconv.FormatInt(sigs[len(sigs)-1].ID, 10))
		page.NextURL = signaturesURL(p.Slug, v)
	}
	if before > 0 {
		page.FirstURL = signaturesURL(p.Slug, page.Query.Values())
	}
	for _, sig := range sigs {
		page.Rows = append(page.Rows, s.signatureRow(c, sig, page.ShowEmail))
	}
	return http.StatusOK, nil
}

// signatureRow decrypts what the console shows of a signature; the email
// is decrypted into the row only for owners.
func (s *Server) signatureRow(c *gin.Context, sig *store.Signature, withEmail bool) SignatureRow {
	row := SignatureRow{SignedAt: sig.SignedAt.UTC().Format("2006-01-02 15:04 UTC"), Status: sig.Status,
		Country: sig.Country, Tag: hex.EncodeToString(sig.ClientTag)}
	row.ShortTag = row.Tag[:min(len(row.Tag), 8)]
	in, err := s.Signing.Open(sig)
	if err != nil {
		// Logged by id only: the row stays visible so it can still be moderated.
		s.Logger.Error("open signature", "signature_id", sig.ID, "err", err, "request_id", requestIDOf(c))
		row.Unreadable = true
		return row
	}
	row.Name, row.City, row.Comment = in.Name, in.City, in.Comment
	if withEmail {
		row.Email = in.Email
	}
	return row
}

// messages translates field errors into the page's language.
func (p *SignaturesPage) messages(keys map[string]string) map[string]string {
	out := make(map[string]string, len(keys))
	for f, k := range keys {
		out[f] = p.T(k)
	}
	return out
}

// signaturesURL is the search page of a petition with query v.
func signaturesURL(slug string, v url.Values) string {
	u := "/admin/petitions/" + url.PathEscape(slug) + "/signatures"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// parseBefore reads a keyset cursor: empty is the first page.
func parseBefore(raw string) (int64, bool) {
	if raw == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	return n, err == nil && n > 0
}

// SignatureQuery is a moderation search as the organizer typed it. Every
// field is optional; together they narrow the search.
type SignatureQuery struct {
	Status  string `form:"status"`
	Country string `form:"country"`
	From    string `form:"from"` // first day signed, UTC, YYYY-MM-DD
	To      string `form:"to"`   // last day signed, inclusive
	Domain  string `form:"domain"`
	Tag     string `form:"tag"` // client tag, hex
}

func (q *SignatureQuery) normalize() {
	q.Status = strings.TrimSpace(q.Status)
	q.Country = strings.ToUpper(strings.TrimSpace(q.Country))
	q.From, q.To = strings.TrimSpace(q.From), strings.TrimSpace(q.To)
	q.Domain = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(q.Domain)), "@")
	q.Tag = strings.ToLower(strings.TrimSpace(q.Tag))
}

// Empty reports whether the query selects every signature of the petition.
func (q SignatureQuery) Empty() bool { return len(q.Values()) == 0 }

// Values returns the query's non-empty fields as URL values.
func (q SignatureQuery) Values() url.Values {
	v := url.Values{}
	for _, f := range q.fields() {
		if f.value != "" {
			v.Set(f.name, f.value)
		}
	}
	return v
}

// String describes the query for the audit log.
func (q SignatureQuery) String() string {
	var parts []string
	for _, f := range q.fields() {
		if f.value != "" {
			parts = append(parts, f.name+"="+f.value)
		}
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}

func (q SignatureQuery) fields() []struct{ name, value string } {
	return []struct{ name, value string }{{"status", q.Status}, {"country", q.Country},
		{"from", q.From}, {"to", q.To}, {"domain", q.Domain}, {"tag", q.Tag}}
}

// filter checks the (normalized) query and turns it into a store filter;
// errs maps each wrong field to a message key.
func (q SignatureQuery) filter(s *Server, petitionID int64) (store.SignatureFilter, map[string]string) {
	f := store.SignatureFilter{PetitionID: petitionID, Status: q.Status, Country: q.Country}
	errs := map[string]string{}
	if q.Status != "" && !validStatus(q.Status) {
		errs["status"] = "admin.moderation.error.status"
	}
	if q.Country != "" && (len(q.Country) != 2 || strings.Trim(q.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		errs["country"] = "admin.moderation.error.country"
	}
	var err error
	if q.From != "" {
		if f.SignedFrom, err = time.Parse(time.DateOnly, q.From); err != nil {
			errs["from"] = "admin.moderation.error.date"
		}
	}
	if q.To != "" {
		if to, err := time.Parse(time.DateOnly, q.To); err != nil {
			errs["to"] = "admin.moderation.error.date"
		} else if f.SignedBefore = to.AddDate(0, 0, 1); !f.SignedFrom.IsZero() && to.Before(f.SignedFrom) {
			errs["to"] = "admin.moderation.error.date_order"
		}
	}
	if q.Domain != "" {
		if !validDomain(q.Domain) {
			errs["domain"] = "admin.moderation.error.domain"
		}
		f.EmailDomainHash = s.Vault.EmailDomainHash("x@" + q.Domain)
	}
	if q.Tag != "" {
		if f.ClientTag, err = hex.DecodeString(q.Tag); err != nil {
			errs["tag"] = "admin.moderation.error.tag"
		}
	}
	return f, errs
}

func validStatus(s string) bool {
	for _, st := range statuses() {
		if s == st {
			return true
		}
	}
	return false
}

// validDomain accepts a host name as it follows the @ of an address.
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	return !strings.ContainsAny(d, "@ \t/\\,;:<>\"'")
}
