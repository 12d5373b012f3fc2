package server

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cambodia-sanctions/campaign/internal/country"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// petitionForm is the petition editor's form as posted. Every field is
// kept as typed, so a refused form comes back exactly as it was sent.
type petitionForm struct {
	Slug      string `form:"slug"`
	Title     string `form:"title"`
	Summary   string `form:"summary"`
	Body      string `form:"body"`      // Markdown
	Demands   string `form:"demands"`   // one per line
	Goal      string `form:"goal"`      // a whole number
	Countries string `form:"countries"` // codes separated by spaces, commas or lines
	OpensAt   string `form:"opens_at"`  // a date or an RFC 3339 time, optional
	ClosesAt  string `form:"closes_at"`
	Status    string `form:"status"` // on creation only: open (the default) or closed
	Action    string `form:"action"` // "preview" shows the form again; anything else saves
}

// petitionFields lists the form's fields in page order, for the error summary.
var petitionFields = []string{"slug", "title", "summary", "body", "demands", "goal", "countries", "opens_at", "closes_at", "status"}

// The limits content.Load applies to config/petitions.yaml.
const (
	maxTitle   = 200
	maxSummary = 500
	maxDemand  = 500
	maxGoal    = 1_000_000_000
)

var (
	petitionSlugPattern = regexp.MustCompile(`^[a-z0-9-]{3,64}$`)
	// plainTextTag finds what looks like an HTML tag in text that is shown
	// as written (content.Load refuses the same).
	plainTextTag = regexp.MustCompile(`<[a-zA-Z/!][^>]*>`)
)

// fieldError is a message key with its arguments, translated when the page
// is rendered.
type fieldError struct {
	Key  string
	Args []any
}

func fieldErr(key string, args ...any) fieldError {
	return fieldError{Key: "admin.petition.error." + key, Args: args}
}

// ErrorList is the form's errors in page order, for the summary.
func (p PetitionFormPage) ErrorList() []FieldMessage {
	var out []FieldMessage
	for _, f := range petitionFields {
		if m, ok := p.Errors[f]; ok {
			out = append(out, FieldMessage{Field: f, Message: m})
		}
	}
	return out
}

// FieldMessage is one line of an error summary.
type FieldMessage struct{ Field, Message string }

// PetitionField is one input or textarea of the editor, with its label,
// hint and error wired for screen readers.
type PetitionField struct {
	Name, Label, Hint, Error, Value string
	Rows                            int // a textarea when above 0
	InputMode                       string
	Required, ReadOnly              bool
}

// Describedby lists the ids of the field's hint and error.
func (f PetitionField) Describedby() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, "f-"+f.Name+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, "f-"+f.Name+"-error")
	}
	return strings.Join(ids, " ")
}

// petitionFieldRows are the textareas' heights; other fields are inputs.
var petitionFieldRows = map[string]int{"summary": 3, "body": 18, "demands": 5, "countries": 2}

// Field returns the view of one of the form's fields.
func (p PetitionFormPage) Field(name string) PetitionField {
	f := PetitionField{Name: name, Label: p.T("admin.petition.field." + name), Hint: p.T("admin.petition.hint." + name),
		Error: p.Errors[name], Rows: petitionFieldRows[name], Required: name != "opens_at" && name != "closes_at"}
	switch name {
	case "slug":
		f.Value, f.ReadOnly = p.Form.Slug, p.SlugLocked
		if p.SlugLocked {
			f.Hint = p.T("admin.petition.hint.slug_config")
		}
	case "title":
		f.Value = p.Form.Title
	case "summary":
		f.Value = p.Form.Summary
	case "body":
		f.Value = p.Form.Body
	case "demands":
		f.Value = p.Form.Demands
	case "goal":
		f.Value, f.InputMode = p.Form.Goal, "numeric"
	case "countries":
		f.Value = p.Form.Countries
	case "opens_at":
		f.Value = p.Form.OpensAt
	case "closes_at":
		f.Value = p.Form.ClosesAt
	}
	return f
}

// petitionFormOf fills the form from a stored petition.
func petitionFormOf(p *store.Petition) petitionForm {
	return petitionForm{
		Slug: p.Slug, Title: p.Title, Summary: p.Summary, Body: p.Body,
		Demands:   strings.Join(p.Demands, "\n"),
		Goal:      strconv.Itoa(p.Goal),
		Countries: strings.Join(p.Countries, ", "),
		OpensAt:   formatFormTime(p.OpensAt),
		ClosesAt:  formatFormTime(p.ClosesAt),
		Status:    p.Status,
	}
}

// formatFormTime writes a date alone when the time is midnight UTC (what a
// date alone means when read back), else the full time, so saving a form
// unchanged keeps the exact instant.
func formatFormTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	u := t.UTC()
	if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		return u.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// clean makes the posted values safe to echo into the page: valid UTF-8,
// and line ends as a textarea means them.
func (f *petitionForm) clean() {
	for _, v := range []*string{&f.Slug, &f.Title, &f.Summary, &f.Body, &f.Demands, &f.Goal, &f.Countries,
		&f.OpensAt, &f.ClosesAt, &f.Status, &f.Action} {
		*v = strings.ToValidUTF8(*v, "\uFFFD")
		*v = strings.ReplaceAll(strings.ReplaceAll(*v, "\r\n", "\n"), "\r", "\n")
	}
	f.Slug = strings.TrimSpace(f.Slug)
}

// validate checks the form by the rules content.Load applies to
// config/petitions.yaml and returns the petition it describes, or the
// problems by field. Whether the slug is free is the caller's to check.
func (f petitionForm) validate() (*store.Petition, map[string]fieldError) {
	errs := map[string]fieldError{}
	p := &store.Petition{Slug: f.Slug, Status: store.PetitionOpen}
	if !petitionSlugPattern.MatchString(f.Slug) {
		errs["slug"] = fieldErr("slug")
	}
	var e *fieldError
	if p.Title, e = plainText(f.Title, maxTitle, "title_required"); e != nil {
		errs["title"] = *e
	}
	if p.Summary, e = plainText(f.Summary, maxSummary, "summary_required"); e != nil {
		errs["summary"] = *e
	}
	if p.Body = strings.Trim(f.Body, "\n"); strings.TrimSpace(p.Body) == "" {
		errs["body"] = fieldErr("body_required")
	}
	if p.Demands, e = parseDemands(f.Demands); e != nil {
		errs["demands"] = *e
	}
	if p.Goal, e = parseGoal(f.Goal); e != nil {
		errs["goal"] = *e
	}
	if p.Countries, e = parseCountries(f.Countries); e != nil {
		errs["countries"] = *e
	}
	if p.OpensAt, e = parseFormTime(f.OpensAt); e != nil {
		errs["opens_at"] = *e
	}
	if p.ClosesAt, e = parseFormTime(f.ClosesAt); e != nil {
		errs["closes_at"] = *e
	}
	if p.OpensAt != nil && p.ClosesAt != nil && !p.ClosesAt.After(*p.OpensAt) {
		errs["closes_at"] = fieldErr("closes_before_opens", strings.TrimSpace(f.OpensAt))
	}
	switch f.Status {
	case "", store.PetitionOpen:
	case store.PetitionClosed:
		p.Status = store.PetitionClosed
	default:
		errs["status"] = fieldErr("status")
	}
	return p, errs
}

// plainText checks a one-paragraph text shown as written: spaces and line
// breaks collapse to single spaces, control characters go.
func plainText(s string, max int, requiredKey string) (string, *fieldError) {
	s = strings.Join(strings.Fields(strings.Map(dropControl, s)), " ")
	n := utf8.RuneCountInString(s)
	switch {
	case s == "":
		return "", &fieldError{Key: "admin.petition.error." + requiredKey}
	case n > max:
		e := fieldErr("too_long", max, n)
		return s, &e
	}
	if tag := plainTextTag.FindString(s); tag != "" {
		e := fieldErr("html", tag)
		return s, &e
	}
	return s, nil
}

func dropControl(r rune) rune {
	if unicode.IsControl(r) && !unicode.IsSpace(r) {
		return -1
	}
	return r
}

// parseDemands reads one demand per non-blank line.
func parseDemands(s string) (store.StringList, *fieldError) {
	var out store.StringList
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		d, e := plainText(line, maxDemand, "demands_required")
		if e != nil {
			if e.Key == "admin.petition.error.too_long" {
				x := fieldErr("demand_too_long", len(out)+1, maxDemand, e.Args[1])
				e = &x
			}
			return nil, e
		}
		if slices.Contains(out, d) {
			e := fieldErr("demand_twice", d)
			return nil, &e
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		e := fieldErr("demands_required")
		return nil, &e
	}
	return out, nil
}

func parseGoal(s string) (int, *fieldError) {
	// Digit grouping as people type it: "10,000", "10 000".
	s = strings.Map(func(r rune) rune {
		if r == ',' || r == '_' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > maxGoal {
		e := fieldErr("goal")
		return 0, &e
	}
	return n, nil
}

// parseCountries reads ISO 3166-1 alpha-2 codes (or EU) in any case,
// separated by spaces, commas, semicolons or lines; a code given twice
// counts once.
func parseCountries(s string) (store.StringList, *fieldError) {
	codes := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
	var out store.StringList
	for _, code := range codes {
		upper := strings.ToUpper(code)
		switch {
		case upper == "UK":
			e := fieldErr("country_uk")
			return nil, &e
		case upper != "EU" && !country.Valid(upper):
			e := fieldErr("country_unknown", code)
			return nil, &e
		case !slices.Contains(out, upper):
			out = append(out, upper)
		}
	}
	if len(out) == 0 {
		e := fieldErr("countries_required")
		return nil, &e
	}
	return out, nil
}

// parseFormTime accepts nothing, a date (midnight UTC, as in config/) or
// an RFC 3339 time.
func parseFormTime(s string) (*time.Time, *fieldError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	e := fieldErr("date")
	return nil, &e
}

// changedFields names what an edit changes, for the audit log.
func changedFields(old, new *store.Petition) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("slug", old.Slug != new.Slug)
	add("title", old.Title != new.Title)
	add("summary", old.Summary != new.Summary)
	add("body", old.Body != new.Body)
	add("demands", !slices.Equal(old.Demands, new.Demands))
	add("goal", old.Goal != new.Goal)
	add("countries", !slices.Equal(old.Countries, new.Countries))
	add("opens_at", !sameTime(old.OpensAt, new.OpensAt))
	add("closes_at", !sameTime(old.ClosesAt, new.ClosesAt))
	return out
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
