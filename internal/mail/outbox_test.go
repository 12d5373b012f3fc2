package mail_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/mail"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// memOutbox is an in-memory mail.OutboxStore that behaves like the store's
// outbox table: due means unsent, not failed and next attempt reached.
type memOutbox struct {
	mu     sync.Mutex
	rows   map[int64]*store.OutboxMessage
	nextID int64
	claims int
}

func newMemOutbox() *memOutbox { return &memOutbox{rows: map[int64]*store.OutboxMessage{}} }

func (s *memOutbox) add(m store.OutboxMessage) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	m.ID = s.nextID
	s.rows[m.ID] = &m
	return m.ID
}

func (s *memOutbox) get(id int64) store.OutboxMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.rows[id]
}

func (s *memOutbox) claimCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims
}

func (s *memOutbox) ClaimDueOutbox(_ context.Context, now time.Time, limit int) ([]store.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claims++
	var due []store.OutboxMessage
	for _, m := range s.rows {
		if m.SentAt == nil && m.FailedAt == nil && !m.NextAttemptAt.After(now) {
			c := *m
			c.PayloadEnc = bytes.Clone(m.PayloadEnc)
			due = append(due, c)
		}
	}
	slices.SortFunc(due, func(a, b store.OutboxMessage) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return due[:min(limit, len(due))], nil
}

func (s *memOutbox) update(id int64, f func(*store.OutboxMessage)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.rows[id]
	if !ok {
		return errors.New("no such outbox row")
	}
	f(m)
	return nil
}

func (s *memOutbox) MarkOutboxSent(_ context.Context, id int64, at time.Time) error {
	return s.update(id, func(m *store.OutboxMessage) { m.SentAt, m.PayloadEnc, m.LastError = &at, nil, "" })
}

func (s *memOutbox) MarkOutboxRetry(_ context.Context, id int64, attempts int, next time.Time, lastError string) error {
	return s.update(id, func(m *store.OutboxMessage) { m.Attempts, m.NextAttemptAt, m.LastError = attempts, next, lastError })
}

func (s *memOutbox) MarkOutboxFailed(_ context.Context, id int64, at time.Time, lastError string) error {
	return s.update(id, func(m *store.OutboxMessage) { m.FailedAt, m.PayloadEnc, m.LastError = &at, nil, lastError })
}

func (s *memOutbox) ReleaseOutbox(_ context.Context, ids []int64, now time.Time) error {
	for _, id := range ids {
		if err := s.update(id, func(m *store.OutboxMessage) { m.NextAttemptAt = now }); err != nil {
			return err
		}
	}
	return nil
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// outboxFixture wires an Outbox to an in-memory store, a real SMTP server
// and a log capture.
type outboxFixture struct {
	st     *memOutbox
	srv    *smtpServer
	vault  *vault.Vault
	clock  *clock
	logs   *syncBuffer
	outbox *mail.Outbox
}

func newOutboxFixture(t *testing.T, o mail.OutboxOptions, server ...serverOption) *outboxFixture {
	t.Helper()
	f := &outboxFixture{
		st:    newMemOutbox(),
		srv:   newSMTPServer(t, server...),
		vault: newVault(t, 7),
		clock: &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		logs:  &syncBuffer{},
	}
	o.Now = f.clock.Now
	o.Logger = slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.outbox = mail.NewOutbox(f.st, f.vault, composer(t, mail.ComposerOptions{}),
		newSMTP(t, "smtp://127.0.0.1:"+f.srv.port()), o)
	return f
}

// enqueue adds a due message as the store would when a signature is taken.
func (f *outboxFixture) enqueue(t *testing.T, p mail.Payload, createdAt time.Time) int64 {
	t.Helper()
	sealed, err := mail.SealPayload(f.vault, p)
	if err != nil {
		t.Fatal(err)
	}
	return f.st.add(store.OutboxMessage{Kind: p.Kind, SignatureID: 1, PayloadEnc: sealed,
		NextAttemptAt: createdAt, CreatedAt: createdAt})
}

func (f *outboxFixture) sendDue(t *testing.T) (sent, retried, failed int) {
	t.Helper()
	sent, retried, failed, err := f.outbox.SendDue(context.Background())
	if err != nil {
		t.Fatalf("SendDue: %v", err)
	}
	return sent, retried, failed
}

func checkPass(t *testing.T, pass string, gotSent, gotRetried, gotFailed, sent, retried, failed int) {
	t.Helper()
	if gotSent != sent || gotRetried != retried || gotFailed != failed {
		t.Errorf("%s: sent %d, retried %d, failed %d; want %d, %d, %d", pass, gotSent, gotRetried, gotFailed, sent, retried, failed)
	}
}

func TestOutboxSendsDueMessageOnce(t *testing.T) {
	f := newOutboxFixture(t, mail.OutboxOptions{})
	id := f.enqueue(t, payload(store.MailConfirm, "en"), f.clock.Now())

	s, r, x := f.sendDue(t)
	checkPass(t, "first pass", s, r, x, 1, 0, 0)
	s, r, x = f.sendDue(t)
	checkPass(t, "second pass", s, r, x, 0, 0, 0)

	got := f.srv.messages()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != testTo {
		t.Fatalf("server received %d messages, want exactly 1 to %s", len(got), testTo)
	}
	if !strings.Contains(parseMail(t, got[0].Data).Text, "/confirm/"+testToken) {
		t.Errorf("delivered mail lacks the confirmation link")
	}
	row := f.st.get(id)
	if row.SentAt == nil || row.PayloadEnc != nil || row.FailedAt != nil {
		t.Errorf("row after sending: sent %v, failed %v, payload %d bytes; want sent, not failed, payload erased",
			row.SentAt, row.FailedAt, len(row.PayloadEnc))
	}
	if logs := f.logs.String(); strings.Contains(logs, testTo) || strings.Contains(logs, testToken) {
		t.Errorf("log shows the address or token:\n%s", logs)
	}
}

func TestOutboxSurvivesSMTPOutage(t *testing.T) {
	f := newOutboxFixture(t, mail.OutboxOptions{})
	start := f.clock.Now()
	id := f.enqueue(t, payload(store.MailConfirm, "en"), start)
	f.srv.stop()

	s, r, x := f.sendDue(t)
	checkPass(t, "server down", s, r, x, 0, 1, 0)
	row := f.st.get(id)
	if row.Attempts != 1 || row.LastError != "smtp: connection refused" {
		t.Errorf("row after failed send: attempts %d, last error %q; want 1, %q", row.Attempts, row.LastError, "smtp: connection refused")
	}
	if wait := row.NextAttemptAt.Sub(start); wait < 24*time.Second || wait > 36*time.Second {
		t.Errorf("next attempt in %v, want 30s ±20%%", wait)
	}
	if row.PayloadEnc == nil || row.SentAt != nil || row.FailedAt != nil {
		t.Errorf("row lost its payload or was closed after a temporary failure")
	}
	logs := f.logs.String()
	for _, secret := range []string{testTo, "sokha", testToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("log after a failed send contains %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "smtp: connection refused") {
		t.Errorf("log lacks the error class:\n%s", logs)
	}

	f.srv.start()
	s, r, x = f.sendDue(t)
	checkPass(t, "server back, retry not yet due", s, r, x, 0, 0, 0)
	if n := len(f.srv.messages()); n != 0 {
		t.Fatalf("server received %d messages before the retry time, want 0", n)
	}

	f.clock.Advance(time.Minute)
	s, r, x = f.sendDue(t)
	checkPass(t, "retry due", s, r, x, 1, 0, 0)
	f.clock.Advance(time.Hour)
	s, r, x = f.sendDue(t)
	checkPass(t, "later", s, r, x, 0, 0, 0)
	if n := len(f.srv.messages()); n != 1 {
		t.Errorf("server received %d messages, want exactly 1", n)
	}
	if row := f.st.get(id); row.SentAt == nil || row.PayloadEnc != nil {
		t.Errorf("row not marked sent with its payload erased")
	}
}

func TestOutboxBackoffGrows(t *testing.T) {
	f := newOutboxFixture(t, mail.OutboxOptions{})
	id := f.enqueue(t, payload(store.MailConfirm, "en"), f.clock.Now())
	f.srv.stop()
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i, base := range want {
		now := f.clock.Now()
		s, r, x := f.sendDue(t)
		checkPass(t, "attempt", s, r, x, 0, 1, 0)
		row := f.st.get(id)
		wait := row.NextAttemptAt.Sub(now)
		if row.Attempts != i+1 || wait < base*8/10 || wait > base*12/10 {
			t.Errorf("after attempt %d: attempts %d, next in %v; want %d, %v ±20%%", i+1, row.Attempts, wait, i+1, base)
		}
		f.clock.Advance(wait)
	}
}

func TestOutboxGivesUp(t *testing.T) {
	tests := []struct {
		name      string
		server    []serverOption
		age       time.Duration
		tamper    bool
		wantError string
		wantTries int
	}{
		{name: "older than MaxAge", age: 73 * time.Hour, wantError: "expired"},
		{name: "tampered payload", tamper: true, wantError: "payload: cannot be opened"},
		{name: "recipient refused for good", server: []serverOption{withRejectRcpt()},
			wantError: "smtp: recipient refused (550 5.1.1)", wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newOutboxFixture(t, mail.OutboxOptions{}, tt.server...)
			id := f.enqueue(t, payload(store.MailConfirm, "en"), f.clock.Now().Add(-tt.age))
			if tt.tamper {
				f.st.update(id, func(m *store.OutboxMessage) { m.PayloadEnc[len(m.PayloadEnc)-1] ^= 1 })
			}
			s, r, x := f.sendDue(t)
			checkPass(t, "first pass", s, r, x, 0, 0, 1)
			row := f.st.get(id)
			if row.FailedAt == nil || row.PayloadEnc != nil || row.LastError != tt.wantError {
				t.Errorf("row: failed %v, payload %d bytes, last error %q; want failed, erased, %q",
					row.FailedAt, len(row.PayloadEnc), row.LastError, tt.wantError)
			}
			f.clock.Advance(2 * time.Hour)
			s, r, x = f.sendDue(t)
			checkPass(t, "later pass", s, r, x, 0, 0, 0)
			if n := len(f.srv.messages()); n != 0 {
				t.Errorf("server received %d messages, want none", n)
			}
			if logs := f.logs.String(); strings.Contains(logs, testTo) {
				t.Errorf("log contains the address:\n%s", logs)
			}
		})
	}
}

func TestOutboxExpiresDuringOutage(t *testing.T) {
	f := newOutboxFixture(t, mail.OutboxOptions{MaxAge: 10 * time.Minute})
	id := f.enqueue(t, payload(store.MailAlreadySigned, "en"), f.clock.Now())
	f.srv.stop()
	var failed int
	for range 20 {
		_, _, x := f.sendDue(t)
		failed += x
		f.clock.Advance(5 * time.Minute)
	}
	if row := f.st.get(id); failed != 1 || row.FailedAt == nil || row.LastError != "expired" {
		t.Errorf("after 100 minutes of outage: failed %d times, row failed %v with %q; want failed once, \"expired\"",
			failed, row.FailedAt, row.LastError)
	}
}

func TestOutboxBatchOldestFirst(t *testing.T) {
	f := newOutboxFixture(t, mail.OutboxOptions{Batch: 2})
	now := f.clock.Now()
	for i := range 3 {
		p := payload(store.MailConfirm, "en")
		p.To = []string{"a@example.net", "b@example.net", "c@example.net"}[i]
		f.enqueue(t, p, now.Add(time.Duration(i)*time.Second-time.Minute))
	}
	s, _, _ := f.sendDue(t)
	if s != 2 {
		t.Fatalf("first pass sent %d, want the batch of 2", s)
	}
	var to []string
	for _, m := range f.srv.messages() {
		to = append(to, m.To...)
	}
	if want := []string{"a@example.net", "b@example.net"}; !slices.Equal(to, want) {
		t.Errorf("first pass delivered to %v, want the oldest %v", to, want)
	}
}

func TestOutboxNotifyWakesRun(t *testing.T) {
	f := newOutboxFixture(t, mail.OutboxOptions{PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.outbox.Run(ctx); close(done) }()
	waitFor(t, "Run's first pass", func() bool { return f.st.claimCount() >= 1 })

	f.enqueue(t, payload(store.MailConfirm, "en"), f.clock.Now())
	time.Sleep(100 * time.Millisecond)
	if n := len(f.srv.messages()); n != 0 {
		t.Fatalf("server received %d messages before Notify with an hour's poll interval, want 0", n)
	}
	f.outbox.Notify()
	f.outbox.Notify() // never blocks
	waitFor(t, "the notified mail to arrive", func() bool { return len(f.srv.messages()) == 1 })

	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestOutboxRunPolls(t *testing.T) {
	f := newOutboxFixture(t, mail.OutboxOptions{PollInterval: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.outbox.Run(ctx)
	waitFor(t, "Run's first pass", func() bool { return f.st.claimCount() >= 1 })
	f.enqueue(t, payload(store.MailConfirm, "en"), f.clock.Now())
	waitFor(t, "the polled mail to arrive", func() bool { return len(f.srv.messages()) == 1 })
}

// failingTransport fails with an error whose text holds the address, as a
// careless transport's might.
type failingTransport struct{}

func (failingTransport) Send(_ context.Context, m mail.Message) error {
	return errors.New("cannot deliver to " + m.To)
}

func TestOutboxForeignErrorsAreNotLogged(t *testing.T) {
	st, logs := newMemOutbox(), &syncBuffer{}
	v := newVault(t, 3)
	o := mail.NewOutbox(st, v, composer(t, mail.ComposerOptions{}), failingTransport{},
		mail.OutboxOptions{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	sealed, err := mail.SealPayload(v, payload(store.MailConfirm, "en"))
	if err != nil {
		t.Fatal(err)
	}
	id := st.add(store.OutboxMessage{Kind: store.MailConfirm, PayloadEnc: sealed, CreatedAt: time.Now(), NextAttemptAt: time.Now()})
	if _, retried, _, err := o.SendDue(context.Background()); err != nil || retried != 1 {
		t.Fatalf("SendDue: retried %d, error %v; want 1 retry", retried, err)
	}
	if row := st.get(id); strings.Contains(row.LastError, testTo) || row.LastError == "" {
		t.Errorf("stored error %q, want a class without the address", row.LastError)
	}
	if strings.Contains(logs.String(), testTo) {
		t.Errorf("log contains the address:\n%s", logs)
	}
}

// A worker whose relay is so slow that its claim would run out stops
// before another worker could take the same messages, and hands back the
// ones it never attempted: no mail is sent twice, none waits out the lease.
func TestOutboxStopsBeforeItsClaimRunsOut(t *testing.T) {
	f := newOutboxFixture(t, mail.OutboxOptions{})
	for range 10 {
		f.enqueue(t, payload(store.MailConfirm, "en"), f.clock.Now())
	}
	// Every look at the clock is a minute later: a relay taking minutes.
	slow := mail.NewOutbox(f.st, f.vault, composer(t, mail.ComposerOptions{}),
		newSMTP(t, "smtp://127.0.0.1:"+f.srv.port()), mail.OutboxOptions{Now: func() time.Time {
			f.clock.Advance(time.Minute)
			return f.clock.Now()
		}})
	sent, _, _, err := slow.SendDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sent == 0 || sent >= 10 || float64(sent) > store.OutboxLease.Minutes() {
		t.Fatalf("sent %d of 10 in one pass with minutes per mail, want it to stop before its %v claim ran out", sent, store.OutboxLease)
	}
	if got := len(f.srv.messages()); got != sent {
		t.Errorf("server got %d mails, worker reports %d", got, sent)
	}
	due, _ := f.st.ClaimDueOutbox(context.Background(), f.clock.Now(), 100)
	if len(due) != 10-sent {
		t.Errorf("%d messages due again right after the pass, want the %d not attempted", len(due), 10-sent)
	}
}
