package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// scaleSlug is the petition both instances sign.
const scaleSlug = "coordinated-sanctions"

// scaleSigner is one address of the scale-out test and how it is submitted.
type scaleSigner struct {
	canonical string   // the address as the product identifies it
	submits   []string // the spelling of each submission
	via       []*child // the instance each submission goes to
	tokens    []string // confirmation tokens received, in no particular order
	live      string   // the token that still confirms (the latest one queued)
	wave      int      // the round of submissions it belongs to
}

// wantMails is what the product sends: one confirmation per submission of
// a pending signature, at most store.MaxMailsPerSignature in all.
func (s *scaleSigner) wantMails() int { return min(len(s.submits), store.MaxMailsPerSignature) }

// other is an instance that did not take the signature's first submission.
func (s *scaleSigner) other(a, b *child) *child {
	if s.via[0] == a {
		return b
	}
	return a
}

// scaleOut is the two instances on one PostgreSQL database and what the
// test needs to look at behind them.
type scaleOut struct {
	a, b    *child
	smtp    *testutil.SMTPServer
	db      *store.DB
	sql     *sql.DB
	vault   *vault.Vault
	pid     int64
	client  *http.Client
	signers []*scaleSigner
}

// TestTwoInstancesOnOnePostgreSQL is the scale-out proof: two server
// processes on one PostgreSQL database take signatures concurrently —
// the same address through both at the same moment among them — and the
// test checks that each address has one signature, each queued
// confirmation mail is sent exactly once, a confirmation link works on
// the instance that did not take the signature, both instances show the
// confirmed count of the database within two seconds, and both stop
// cleanly.
func TestTwoInstancesOnOnePostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary twice on PostgreSQL")
	}
	dbURL := testutil.NewPostgresDatabase(t)
	s := startScaleOut(t, dbURL)

	s.signConcurrently(t)
	s.checkSignatures(t)
	s.waitForMail(t)
	s.checkOutbox(t)
	s.checkMails(t)
	if got := s.apiTotal(t, s.a) + s.apiTotal(t, s.b); got != 0 {
		t.Errorf("before any confirmation the instances show %d signatures in all, want 0 (pending ones do not count)", got)
	}

	confirmed := s.confirmThroughOtherInstance(t)
	s.checkCounts(t, confirmed)
	s.stop(t)
	if n := len(s.smtp.Messages()); n != s.totalMails() {
		t.Errorf("%d mails received by the end, want %d: a mail went out again", n, s.totalMails())
	}
}

func startScaleOut(t *testing.T, dbURL string) *scaleOut {
	t.Helper()
	smtp := testutil.StartSMTP(t)
	bin := buildBinary(t)
	env := []string{
		"CAMPAIGN_DATABASE=" + dbURL,
		"CAMPAIGN_SMTP_URL=" + smtp.URL(),
		"CAMPAIGN_MAIL_FROM=Signatures <noreply@example.org>",
		"CAMPAIGN_VERIFY=email",
		"CAMPAIGN_BASE_URL=http://sign.example.org",
		"CAMPAIGN_MIN_PUBLIC_COUNT=1", // exact public totals
	}
	// The first applies the migrations and loads the petitions; the second
	// finds them done.
	a := startServer(t, bin, t.TempDir(), env...)
	b := startServer(t, bin, t.TempDir(), env...)

	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// store registers pgx's database/sql driver; raw queries read the
	// outbox, which the store exposes only to its worker.
	raw, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	p, err := db.FindPetitionBySlug(ctx, scaleSlug)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := hex.DecodeString(durabilityKey)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 128},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s := &scaleOut{a: a, b: b, smtp: smtp, db: db, sql: raw, vault: v, pid: p.ID, client: client}
	s.signers = s.plan()
	return s
}

// scaleWaves is the number of rounds the submissions go in. Each round
// ends with commits on both instances at about the same moment, which
// wake both mail workers together: the more rounds, the more often two
// workers claim mail at once.
const scaleWaves = 8

// plan lists the addresses: 200 signing once, alternately through either
// instance; 30 signing through both at the same moment (spelled
// differently, the same address to the product); 6 signing three times
// through one instance; one signing eight times, four through each, which
// reaches the mail cap.
func (s *scaleOut) plan() []*scaleSigner {
	var out []*scaleSigner
	add := func(canonical string, submits []string, via ...*child) {
		out = append(out, &scaleSigner{canonical: canonical, submits: submits, via: via, wave: len(out) % scaleWaves})
	}
	for i := range 200 {
		e := fmt.Sprintf("once-%03d@example.org", i)
		add(e, []string{e}, []*child{s.a, s.b}[i%2])
	}
	for i := range 30 {
		e := fmt.Sprintf("both-%02d@example.org", i)
		add(e, []string{e, strings.ToUpper(e[:7]) + "+b" + e[7:]}, s.a, s.b)
	}
	for i := range 6 {
		e := fmt.Sprintf("thrice-%d@example.org", i)
		via := []*child{s.a, s.b}[i%2]
		add(e, []string{e, e, e}, via, via, via)
	}
	e := "many@example.org"
	add(e, []string{e, e, e, e, e, e, e, e}, s.a, s.b, s.a, s.b, s.a, s.b, s.a, s.b)
	return out
}

func (s *scaleOut) totalMails() int {
	n := 0
	for _, sg := range s.signers {
		n += sg.wantMails()
	}
	return n
}

// signConcurrently sends the submissions in rounds. Within a round every
// submission has its goroutine, all released together, so the two
// submissions of one address reach the two instances at the same moment.
func (s *scaleOut) signConcurrently(t *testing.T) {
	t.Helper()
	for wave := range scaleWaves {
		s.signWave(t, wave)
		time.Sleep(100 * time.Millisecond) // the mail workers catch up and idle
	}
}

func (s *scaleOut) signWave(t *testing.T, wave int) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for i, sg := range s.signers {
		if sg.wave != wave {
			continue
		}
		for k, email := range sg.submits {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if err := s.sign(sg.via[k], email, fmt.Sprintf("Signer %d", i)); err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s via %s: %v", email, sg.via[k].base, err))
					mu.Unlock()
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d submissions were not accepted, e.g. %s", len(failures), failures[0])
	}
}

func (s *scaleOut) sign(c *child, email, name string) error {
	body, _ := json.Marshal(map[string]string{"name": name, "email": email, "country": "KH"})
	resp, err := s.client.Post(c.base+"/petitions/"+scaleSlug+"/signatures", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("status %d, answer not JSON: %v", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusCreated || out.Status != store.StatusPending {
		return fmt.Errorf("status %d %q, want 201 pending", resp.StatusCode, out.Status)
	}
	return nil
}

// checkSignatures checks one row per address, pending, counting the mails
// its submissions queued.
func (s *scaleOut) checkSignatures(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var rows int
	if err := s.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM signatures WHERE petition_id = $1`, s.pid).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(s.signers) {
		t.Errorf("%d signature rows for %d distinct addresses, want one each", rows, len(s.signers))
	}
	for _, sg := range s.signers {
		sig, err := s.db.FindSignatureByEmail(ctx, s.pid, s.vault.EmailHash(sg.canonical))
		if err != nil {
			t.Errorf("%s (submitted %d times): no signature: %v", sg.canonical, len(sg.submits), err)
			continue
		}
		if sig.Status != store.StatusPending || sig.MailCount != sg.wantMails() {
			t.Errorf("%s submitted %d times: status %s, mail count %d; want pending, %d",
				sg.canonical, len(sg.submits), sig.Status, sig.MailCount, sg.wantMails())
		}
	}
}

// waitForMail waits until the SMTP server has every expected mail and the
// outbox has nothing left to send, then a little longer, so that a mail
// sent twice has time to arrive.
func (s *scaleOut) waitForMail(t *testing.T) {
	t.Helper()
	if got, err := s.smtp.WaitFor(s.totalMails(), 15*time.Second); err != nil {
		t.Fatalf("%v (%d so far)", err, len(got))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		depth, err := s.db.OutboxDepth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if depth == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox messages still unsent after every expected mail arrived", depth)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
}

// checkOutbox checks that every queued mail is recorded as sent, none
// failed, and each signature has as many as its mail count.
func (s *scaleOut) checkOutbox(t *testing.T) {
	t.Helper()
	var queued, sent, failed int
	err := s.sql.QueryRow(`SELECT COUNT(*), COUNT(sent_at), COUNT(failed_at) FROM outbox`).Scan(&queued, &sent, &failed)
	if err != nil {
		t.Fatal(err)
	}
	if queued != s.totalMails() || sent != queued || failed != 0 {
		t.Errorf("outbox: %d queued, %d sent, %d failed; want %d queued, all sent", queued, sent, failed, s.totalMails())
	}
	var mismatched int
	err = s.sql.QueryRow(`SELECT COUNT(*) FROM signatures s WHERE petition_id = $1 AND mail_count <>
		(SELECT COUNT(*) FROM outbox o WHERE o.signature_id = s.id)`, s.pid).Scan(&mismatched)
	if err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%d signatures have a mail count different from their outbox rows", mismatched)
	}
}

var confirmLink = regexp.MustCompile(`/confirm/([A-Za-z0-9_-]{43})`)

// checkMails checks the mails themselves: exactly the expected number per
// address, no message and no confirmation token twice (an outbox row sent
// twice repeats its token), and exactly one token per address still valid.
func (s *scaleOut) checkMails(t *testing.T) {
	t.Helper()
	msgs := s.smtp.Messages()
	if len(msgs) != s.totalMails() {
		t.Errorf("SMTP server received %d mails, want %d: one per queued outbox row", len(msgs), s.totalMails())
	}
	byAddress := map[string]*scaleSigner{}
	for _, sg := range s.signers {
		byAddress[sg.canonical] = sg
	}
	seenToken, seenID := map[string]bool{}, map[string]bool{}
	for _, m := range msgs {
		token, err := mailToken(m)
		if err != nil {
			t.Errorf("mail to %v: %v", m.To, err)
			continue
		}
		if seenToken[token] {
			t.Errorf("mail to %v: confirmation token sent twice: one outbox row delivered twice", m.To)
		}
		id := m.Header.Get("Message-Id")
		if seenID[id] {
			t.Errorf("mail to %v: Message-ID %s seen twice", m.To, id)
		}
		seenToken[token], seenID[id] = true, true
		sg := byAddress[vault.CanonicalEmail(m.To[0])]
		if sg == nil {
			t.Errorf("mail to %v, an address that never signed", m.To)
			continue
		}
		sg.tokens = append(sg.tokens, token)
	}
	for _, sg := range s.signers {
		s.findLiveToken(t, sg)
	}
}

// mailToken returns the confirmation token of a mail to one recipient.
func mailToken(m testutil.ReceivedMail) (string, error) {
	if m.Err != nil {
		return "", m.Err
	}
	if len(m.To) != 1 {
		return "", fmt.Errorf("%d recipients, want 1", len(m.To))
	}
	found := confirmLink.FindAllStringSubmatch(m.Text, -1)
	if len(found) == 0 {
		return "", fmt.Errorf("no confirmation link in the text:\n%s", m.Text)
	}
	for _, f := range found[1:] {
		if f[1] != found[0][1] {
			return "", fmt.Errorf("two different tokens in one mail")
		}
	}
	return found[0][1], nil
}

// findLiveToken checks an address got its mails and that exactly one of
// their tokens is the one its signature holds now.
func (s *scaleOut) findLiveToken(t *testing.T, sg *scaleSigner) {
	t.Helper()
	if len(sg.tokens) != sg.wantMails() {
		t.Errorf("%s submitted %d times got %d mails, want %d", sg.canonical, len(sg.submits), len(sg.tokens), sg.wantMails())
	}
	sig, err := s.db.FindSignatureByEmail(context.Background(), s.pid, s.vault.EmailHash(sg.canonical))
	if err != nil {
		return // reported by checkSignatures
	}
	live := 0
	for _, tok := range sg.tokens {
		if bytes.Equal(s.vault.TokenHash(tok), sig.ConfirmHash) {
			sg.live = tok
			live++
		}
	}
	if live != 1 {
		t.Errorf("%s: %d of its %d mailed tokens match the signature's, want exactly 1", sg.canonical, live, len(sg.tokens))
	}
}

// confirmJob posts one confirmation link to one instance.
type confirmJob struct {
	via   *child
	token string
	want  []int // acceptable answers
	got   int
}

// confirmThroughOtherInstance confirms, all at once: 120 single
// signatures through the instance that did not take them (ten of them
// through both at the same moment); every address signed through both
// instances with both its tokens, one per instance, of which only the
// latest may confirm. It returns the number of confirmed signatures the
// database must now hold.
func (s *scaleOut) confirmThroughOtherInstance(t *testing.T) int64 {
	t.Helper()
	var jobs []*confirmJob
	var confirmed []*scaleSigner
	singles := 0
	for _, sg := range s.signers {
		switch {
		case len(sg.submits) == 1 && singles < 120:
			jobs = append(jobs, &confirmJob{via: sg.other(s.a, s.b), token: sg.live, want: []int{http.StatusSeeOther}})
			if singles < 10 {
				jobs[len(jobs)-1].want = []int{http.StatusSeeOther, http.StatusNotFound}
				jobs = append(jobs, &confirmJob{via: sg.via[0], token: sg.live, want: []int{http.StatusSeeOther, http.StatusNotFound}})
			}
			singles++
			confirmed = append(confirmed, sg)
		case len(sg.submits) == 2 && len(sg.tokens) == 2:
			for k, tok := range sg.tokens {
				want := http.StatusNotFound
				if tok == sg.live {
					want = http.StatusSeeOther
				}
				jobs = append(jobs, &confirmJob{via: []*child{s.a, s.b}[k], token: tok, want: []int{want}})
			}
			confirmed = append(confirmed, sg)
		}
	}
	s.runConfirmations(t, jobs)
	for _, sg := range confirmed {
		sig, err := s.db.FindSignatureByEmail(context.Background(), s.pid, s.vault.EmailHash(sg.canonical))
		if err != nil || sig.Status != store.StatusConfirmed {
			t.Errorf("%s: not confirmed after following its link (%v)", sg.canonical, err)
		}
	}
	return int64(len(confirmed))
}

func (s *scaleOut) runConfirmations(t *testing.T, jobs []*confirmJob) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := s.client.Post(j.via.base+"/confirm/"+j.token, "application/x-www-form-urlencoded", nil)
			if err != nil {
				return // got stays 0
			}
			resp.Body.Close()
			j.got = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	for _, j := range jobs {
		ok := false
		for _, w := range j.want {
			ok = ok || j.got == w
		}
		if !ok {
			t.Errorf("POST /confirm/… on %s answered %d, want one of %v", j.via.base, j.got, j.want)
		}
	}
}

// checkCounts checks the database holds want confirmed signatures, then
// that both instances show that figure within two seconds and still do a
// moment later (after another counter reload).
func (s *scaleOut) checkCounts(t *testing.T, want int64) {
	t.Helper()
	changed := time.Now()
	var rows int64
	err := s.sql.QueryRow(`SELECT COUNT(*) FROM signatures WHERE petition_id = $1 AND status = 'confirmed'`, s.pid).Scan(&rows)
	if err != nil {
		t.Fatal(err)
	}
	if rows != want {
		t.Errorf("database holds %d confirmed signatures, want %d", rows, want)
	}
	for {
		a, b := s.apiTotal(t, s.a), s.apiTotal(t, s.b)
		if a == rows && b == rows {
			t.Logf("both instances show %d confirmed signatures %v after the last confirmation", rows, time.Since(changed).Round(time.Millisecond))
			break
		}
		if time.Since(changed) > 2*time.Second {
			t.Fatalf("2s after the last confirmation the instances show %d and %d, the database holds %d", a, b, rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1200 * time.Millisecond)
	if a, b := s.apiTotal(t, s.a), s.apiTotal(t, s.b); a != rows || b != rows {
		t.Errorf("a second later the instances show %d and %d, the database holds %d", a, b, rows)
	}
}

// apiTotal reads an instance's public total of the petition.
func (s *scaleOut) apiTotal(t *testing.T, c *child) int64 {
	t.Helper()
	resp, err := s.client.Get(c.base + "/api/petitions/" + scaleSlug)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var figures struct {
		Total      *int64 `json:"total"`
		TotalExact bool   `json:"total_exact"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&figures); err != nil {
		t.Fatalf("GET %s/api/petitions/%s: status %d: %v", c.base, scaleSlug, resp.StatusCode, err)
	}
	if figures.Total == nil || !figures.TotalExact {
		t.Fatalf("GET %s/api/petitions/%s: total not exact (CAMPAIGN_MIN_PUBLIC_COUNT=1 should make it so)", c.base, scaleSlug)
	}
	return *figures.Total
}

// stop sends SIGTERM to both instances at once and checks each exits 0
// with a clean stop and no error logged on the way.
func (s *scaleOut) stop(t *testing.T) {
	t.Helper()
	// A connection dialled but never used counts as busy for its first five
	// seconds of a server's Shutdown; the test's client lets its go first.
	s.client.CloseIdleConnections()
	for _, c := range []*child{s.a, s.b} {
		if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*child{s.a, s.b} {
		err := c.cmd.Wait()
		logs := c.logs.String()
		if err != nil {
			t.Errorf("instance %s exited with %v after SIGTERM, want status 0; logs:\n%s", c.base, err, logs)
			continue
		}
		if !strings.Contains(logs, "stopped cleanly") {
			t.Errorf("instance %s logs do not say it stopped cleanly:\n%s", c.base, logs)
		}
		if strings.Contains(logs, "level=ERROR") {
			t.Errorf("instance %s logged errors:\n%s", c.base, logs)
		}
		// Both mail workers must have taken part, or the test proved
		// nothing about sharing the outbox.
		if n := strings.Count(logs, "mail sent"); n == 0 {
			t.Errorf("instance %s sent no mail: only one outbox worker was exercised", c.base)
		} else {
			t.Logf("instance %s sent %d mails", c.base, n)
		}
	}
}
