// Package auth signs organizers in to the console: accounts with argon2id
// password hashes, throttled logins, sessions stored in the database (so
// every instance knows them) with idle and absolute expiry, CSRF tokens and
// roles.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/cambodia-sanctions/campaign/internal/ratelimit"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 12

// Session lifetimes.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
)

// Errors. A wrong password, an unknown account and a disabled account all
// give ErrInvalidLogin, so the login form reveals nothing.
var (
	ErrInvalidLogin = errors.New("auth: wrong email or password")
	ErrNoSession    = errors.New("auth: not signed in")
	ErrWeakPassword = fmt.Errorf("auth: the password must be at least %d characters long", MinPasswordLength)
	ErrBadRole      = errors.New(`auth: the role must be "owner", "organizer" or "viewer"`)
	ErrBadEmail     = errors.New("auth: that is not a valid email address")
	ErrAccountTaken = errors.New("auth: an account with this email already exists")
)

// ThrottledError says how long to wait before trying to sign in again.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many sign-in attempts; try again in %s", e.RetryAfter.Round(time.Second))
}

// Store is what auth needs from the database.
type Store interface {
	CreateOrganizer(ctx context.Context, o *store.Organizer) error
	FindOrganizerByEmail(ctx context.Context, email string) (*store.Organizer, error)
	FindOrganizerByID(ctx context.Context, id int64) (*store.Organizer, error)
	FindOrganizers(ctx context.Context) ([]*store.Organizer, error)
	DisableOrganizer(ctx context.Context, id int64) error
	CreateSession(ctx context.Context, s *store.Session) error
	FindSessionByTokenHash(ctx context.Context, hash []byte) (*store.Session, error)
	TouchSession(ctx context.Context, id int64, at time.Time) error
	DeleteSession(ctx context.Context, id int64) error
	AddAudit(ctx context.Context, e *store.AuditEntry) error
}

// Service manages accounts and sessions.
type Service struct {
	store     Store
	vault     *vault.Vault
	now       func() time.Time
	perAcct   *ratelimit.Limiter
	perClient *ratelimit.Limiter
	dummyHash string // compared against for unknown accounts, so timing says nothing
}

// NewService returns the sign-in service. Sign-in attempts are limited to
// 5 per account and 20 per client every 15 minutes.
func NewService(st Store, v *vault.Vault, now func() time.Time) (*Service, error) {
	dummy, err := argon2id.CreateHash("not a real password, only for timing", argon2id.DefaultParams)
	if err != nil {
		return nil, err
	}
	return &Service{store: st, vault: v, now: now, dummyHash: dummy,
		perAcct:   ratelimit.New(5, 15*time.Minute, now),
		perClient: ratelimit.New(20, 15*time.Minute, now)}, nil
}

// Allows reports whether role may do what need requires.
func Allows(role, need string) bool { return rank(role) >= rank(need) && rank(need) > 0 }

func rank(role string) int {
	switch role {
	case store.RoleOwner:
		return 3
	case store.RoleOrganizer:
		return 2
	case store.RoleViewer:
		return 1
	}
	return 0
}

// NormalizeEmail lower-cases and trims an organizer's email.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateAccount adds an organizer account (there is no self-registration:
// only the CLI and owners call this).
func (s *Service) CreateAccount(ctx context.Context, email, role, password, by string) (*store.Organizer, error) {
	email = NormalizeEmail(email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return nil, ErrBadEmail
	}
	if rank(role) == 0 {
		return nil, ErrBadRole
	}
	if len([]rune(password)) < MinPasswordLength {
		return nil, ErrWeakPassword
	}
	hash, err := argon2id.CreateHash(password, argon2id.DefaultParams)
	if err != nil {
		return nil, err
	}
	o := &store.Organizer{Email: email, Role: role, PasswordHash: hash}
	if err := s.store.CreateOrganizer(ctx, o); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, ErrAccountTaken
		}
		return nil, err
	}
	_ = s.store.AddAudit(ctx, &store.AuditEntry{Actor: by, Action: "account.create", Target: email, Detail: "role " + role, RowCount: 1})
	return o, nil
}

// Login checks a password and opens a session. clientKey is an opaque key
// for the client (a keyed hash of its address). It returns the session
// token to put in the cookie.
func (s *Service) Login(ctx context.Context, email, password, clientKey string) (string, *store.Session, *store.Organizer, error) {
	email = NormalizeEmail(email)
	if ok, wait := s.perClient.Allow("c:" + clientKey); !ok {
		return "", nil, nil, &ThrottledError{RetryAfter: wait}
	}
	if ok, wait := s.perAcct.Allow("a:" + fmt.Sprintf("%x", s.vault.TokenHash("login:"+email))); !ok {
		return "", nil, nil, &ThrottledError{RetryAfter: wait}
	}
	o, err := s.store.FindOrganizerByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		_, _ = argon2id.ComparePasswordAndHash(password, s.dummyHash)
		s.audit(ctx, nil, "unknown account", "login.failed", "")
		return "", nil, nil, ErrInvalidLogin
	}
	if err != nil {
		return "", nil, nil, err
	}
	match, err := argon2id.ComparePasswordAndHash(password, o.PasswordHash)
	if err != nil {
		return "", nil, nil, err
	}
	if !match || o.DisabledAt != nil {
		s.audit(ctx, &o.ID, o.Email, "login.failed", "")
		return "", nil, nil, ErrInvalidLogin
	}
	token, err := vault.NewToken()
	if err != nil {
		return "", nil, nil, err
	}
	csrf, err := vault.NewToken()
	if err != nil {
		return "", nil, nil, err
	}
	now := s.now().UTC()
	sess := &store.Session{TokenHash: s.vault.TokenHash("session:" + token), OrganizerID: o.ID, CSRFToken: csrf,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(AbsoluteTimeout)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", nil, nil, err
	}
	s.audit(ctx, &o.ID, o.Email, "login", "")
	return token, sess, o, nil
}

// Authenticate returns the live session and account of a session token,
// or ErrNoSession when it is unknown, expired (idle or absolute) or its
// account is disabled.
func (s *Service) Authenticate(ctx context.Context, token string) (*store.Session, *store.Organizer, error) {
	if token == "" {
		return nil, nil, ErrNoSession
	}
	sess, err := s.store.FindSessionByTokenHash(ctx, s.vault.TokenHash("session:"+token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= IdleTimeout {
		_ = s.store.DeleteSession(ctx, sess.ID)
		return nil, nil, ErrNoSession
	}
	o, err := s.store.FindOrganizerByID(ctx, sess.OrganizerID)
	if err != nil || o.DisabledAt != nil {
		return nil, nil, ErrNoSession
	}
	// Record activity at most once a minute, not on every click.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
			return nil, nil, err
		}
	}
	return sess, o, nil
}

// Logout ends a session on the server.
func (s *Service) Logout(ctx context.Context, sess *store.Session, o *store.Organizer) error {
	s.audit(ctx, &o.ID, o.Email, "logout", "")
	return s.store.DeleteSession(ctx, sess.ID)
}

func (s *Service) audit(ctx context.Context, id *int64, actor, action, target string) {
	_ = s.store.AddAudit(ctx, &store.AuditEntry{ActorID: id, Actor: actor, Action: action, Target: target})
}
