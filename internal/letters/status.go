package letters

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// Letter statuses, in their usual order. Any change between them is
// allowed (forward, or back to correct a mistake); each is an event in
// the jurisdiction's history.
const (
	StatusDraft        = "draft"
	StatusSent         = "sent"
	StatusAcknowledged = "acknowledged"
	StatusReplied      = "replied"
	StatusDesignated   = "designated"
)

// Statuses lists the letter statuses in order.
func Statuses() []string {
	return []string{StatusDraft, StatusSent, StatusAcknowledged, StatusReplied, StatusDesignated}
}

// Channels a letter can be sent by.
func Channels() []string { return []string{"post", "email", "hand", "other"} }

// maxNote bounds a status note, in characters.
const maxNote = 2000

// StatusChange is a new status for a jurisdiction's letter.
type StatusChange struct {
	Status  string
	Channel string // required for sent
	Date    string // YYYY-MM-DD: required for sent, today when empty otherwise
	Note    string // required for replied
}

// ValidationError lists what is wrong with an organizer's input, by field;
// each value is a message key of the console's catalog.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return "letters: invalid " + strings.Join(keys, ", ")
}

// check validates ch and returns when the change took effect.
func (ch *StatusChange) check(now time.Time) (time.Time, error) {
	ch.Channel, ch.Date, ch.Note = strings.TrimSpace(ch.Channel), strings.TrimSpace(ch.Date), strings.TrimSpace(ch.Note)
	errs := map[string]string{}
	if !slices.Contains(Statuses(), ch.Status) {
		errs["status"] = "letters.status.error.status"
	}
	if ch.Status == StatusSent && !slices.Contains(Channels(), ch.Channel) {
		errs["channel"] = "letters.status.error.channel"
	}
	if ch.Status != StatusSent {
		ch.Channel = ""
	}
	at := now
	switch {
	case ch.Date == "" && ch.Status == StatusSent:
		errs["date"] = "letters.status.error.date_required"
	case ch.Date != "":
		d, err := time.Parse(time.DateOnly, ch.Date)
		// A day ahead is allowed: the organizer's day may start before UTC's.
		if err != nil || d.Year() < 2000 || d.After(now.AddDate(0, 0, 1)) {
			errs["date"] = "letters.status.error.date"
		} else if d.Format(time.DateOnly) != now.Format(time.DateOnly) {
			at = d.Add(12 * time.Hour)
		}
	}
	if ch.Status == StatusReplied && ch.Note == "" {
		errs["note"] = "letters.status.error.note_required"
	}
	if utf8.RuneCountInString(ch.Note) > maxNote {
		errs["note"] = "letters.status.error.note_long"
	}
	if len(errs) > 0 {
		return time.Time{}, &ValidationError{Fields: errs}
	}
	return at, nil
}

// SetStatus records a status change of the letter to code for petition p,
// with its audit entry ("letters.status"). The note stays out of the
// audit log: it may quote a reply.
func (s *Service) SetStatus(ctx context.Context, p *store.Petition, code string, ch StatusChange, by Actor) (*store.LetterStatus, error) {
	js, err := s.Jurisdictions(ctx, p)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(js, func(j jurisdiction.Jurisdiction) bool { return j.Code == code }) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownJurisdiction, code)
	}
	now := s.now().UTC()
	at, err := ch.check(now)
	if err != nil {
		return nil, err
	}
	st := &store.LetterStatus{PetitionID: p.ID, Jurisdiction: code, Status: ch.Status, Channel: ch.Channel,
		Note: ch.Note, At: at, ByActor: by.Name}
	detail := ch.Status + " on " + at.Format(time.DateOnly)
	if ch.Channel != "" {
		detail += " by " + ch.Channel
	}
	if ch.Note != "" {
		detail += "; note recorded"
	}
	if err := s.store.AddLetterStatus(ctx, st, by.audit("letters.status", p.Slug+"/"+code, detail, 1)); err != nil {
		return nil, err
	}
	return st, nil
}

// History returns the status changes of the letter to code, newest first.
func (s *Service) History(ctx context.Context, p *store.Petition, code string) ([]*store.LetterStatus, error) {
	return s.store.FindLetterStatusHistory(ctx, p.ID, code)
}

// BoardRow is one jurisdiction on the letters board of a petition.
type BoardRow struct {
	Jurisdiction jurisdiction.Jurisdiction
	Signers      int64               // confirmed signers counted in its letter
	Status       *store.LetterStatus // the latest change; nil while a draft
	Changes      int                 // changes recorded
	Digest       *store.LetterDigest // the latest generated letter's digest, if any
	Check        []string            // reasons to verify before mailing
}

// Board returns every jurisdiction petition p addresses with its signers,
// status and latest digest, and the petition's confirmed total. It counts
// with one grouped query; it neither reads names nor records anything.
func (s *Service) Board(ctx context.Context, p *store.Petition) ([]BoardRow, int64, error) {
	js, err := s.Jurisdictions(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	counts, err := s.store.CountByCountry(ctx, p.ID, store.StatusConfirmed)
	if err != nil {
		return nil, 0, err
	}
	statuses, err := s.store.FindLetterStatuses(ctx, p.ID)
	if err != nil {
		return nil, 0, err
	}
	digests, err := s.store.LatestLetterDigests(ctx, p.ID)
	if err != nil {
		return nil, 0, err
	}
	by := map[string]int64{}
	var total, eu int64
	members := euMemberCodes(s.reg)
	for _, c := range counts {
		by[c.Country] += c.N
		total += c.N
		if members[c.Country] {
			eu += c.N
		}
	}
	by[EU] = eu
	rows := make([]BoardRow, len(js))
	for i, j := range js {
		rows[i] = BoardRow{Jurisdiction: j, Signers: by[j.Code], Digest: digests[j.Code], Check: Checks(j)}
	}
	for _, st := range statuses {
		if i := slices.IndexFunc(rows, func(r BoardRow) bool { return r.Jurisdiction.Code == st.Jurisdiction }); i >= 0 {
			rows[i].Status = st
			rows[i].Changes++
		}
	}
	return rows, total, nil
}
