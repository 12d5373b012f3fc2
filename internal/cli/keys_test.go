package cli_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

func mustVaultHex(t *testing.T, hexKey string) *vault.Vault {
	t.Helper()
	key, err := vault.ParseKey(hexKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestShredRefusesWithoutTerminalOrConfirmation(t *testing.T) {
	ctx := context.Background()
	d := newExportData(t)
	d.sign(t, signing.Input{Name: "Older Row", Email: "older@example.org", Country: "KH"})
	d.svc.WithKeyring(signing.NewKeyring(d.db, mustVaultHex(t, exportKey)))
	d.sign(t, signing.Input{Name: "Sokha", Email: "sokha@example.org", Country: "KH", City: "Battambang"})

	for _, args := range [][]string{{"shred"}, {"shred", "--petition", exportSlug}} {
		code, _, errOut := run(t, ctx, d.vars, args...)
		if code != 2 || !strings.Contains(errOut, "no terminal") || !strings.Contains(errOut, "--yes") {
			t.Errorf("%v without a terminal: exit %d, stderr %q; want 2 and a hint to use --yes", args, code, errOut)
		}
	}
	if code, _, errOut := run(t, ctx, d.vars, "shred", "--petition", "no-such-petition", "--yes"); code != 2 {
		t.Errorf("unknown petition: exit %d (%s), want 2", code, errOut)
	}
	keys, _ := d.db.FindDataKeys(ctx)
	if len(keys) != 1 || !keys[0].Live() {
		t.Fatalf("data keys after refused shreds: %+v, want the one key, live", keys)
	}
	audit, _ := d.db.FindAudit(ctx, 0, 10)
	for _, e := range audit {
		if e.Action == "keys.shred" {
			t.Errorf("a refused shred was audited: %+v", e)
		}
	}
}

func TestShredWithYesLeavesExportsWorking(t *testing.T) {
	ctx := context.Background()
	d := newExportData(t)
	d.sign(t, signing.Input{Name: "Older Row", Email: "older@example.org", Country: "KH"})
	d.svc.WithKeyring(signing.NewKeyring(d.db, mustVaultHex(t, exportKey)))
	d.sign(t, signing.Input{Name: "Sokha", Email: "sokha@example.org", Country: "KH", City: "Battambang"},
		signing.Input{Name: "Dara", Email: "dara@example.org", Country: "TH"})

	code, out, errOut := run(t, ctx, d.vars, "shred", "--petition", exportSlug, "--yes")
	if code != 0 {
		t.Fatalf("shred --yes: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"1 data keys destroyed", "1 older signatures erased", "VACUUM", "3 signatures"} {
		if !strings.Contains(out, want) {
			t.Errorf("shred output does not say %q:\n%s", want, out)
		}
	}
	e := d.lastAudit(t)
	if e.Actor != "cli" || e.Action != "keys.shred" || e.Target != "petition "+exportSlug || e.RowCount != 3 {
		t.Errorf("audit entry %+v, want cli keys.shred of the petition, 3 rows", e)
	}

	// The export still runs: every row, personal fields empty.
	code, csvOut, errOut := run(t, ctx, d.vars, "export", "--petition", exportSlug, "--profile", "full")
	if code != 0 {
		t.Fatalf("export after shred: exit %d\n%s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvOut, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("export has %d lines, want a header and 3 rows:\n%s", len(recs), csvOut)
	}
	header := strings.Join(recs[0], ",")
	for _, r := range recs[1:] {
		row := strings.Join(r, ",")
		for _, secret := range []string{"Sokha", "Dara", "Older", "example.org", "Battambang"} {
			if strings.Contains(row, secret) {
				t.Errorf("exported row after shred still shows %q: %s (header %s)", secret, row, header)
			}
		}
		if !strings.Contains(row, "KH") && !strings.Contains(row, "TH") {
			t.Errorf("exported row lost its country: %s", row)
		}
	}
}

// TestKeysRotateWhileServing runs the real binary: it signs continuously
// over HTTP while `campaign keys rotate` runs against the same database,
// restarts the server with the new key, runs `campaign keys finish`, and
// checks that every acknowledged signature opens with the new key and
// none with the old one.
func TestKeysRotateWhileServing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	ctx := context.Background()
	bin := buildBinary(t)
	dataDir := t.TempDir()
	const slug = "coordinated-sanctions"
	oldV := mustVaultHex(t, durabilityKey)
	acked := seedOlderRows(t, dataDir, oldV, slug, 3000)

	srv := startServer(t, bin, dataDir)
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	failures := 0
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("rot-%d-%d@example.org", w, i)
				name := fmt.Sprintf("Rotating Signer %d %d", w, i)
				body := fmt.Sprintf(`{"name":%q,"email":%q,"country":"KH"}`, name, email)
				resp, err := client.Post(srv.base+"/petitions/"+slug+"/signatures", "application/json", strings.NewReader(body))
				if err != nil {
					return
				}
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode == http.StatusCreated {
					acked[email] = name
				} else {
					failures++
				}
				mu.Unlock()
			}
		}()
	}
	ackedNow := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	time.Sleep(300 * time.Millisecond)
	before := ackedNow()
	env := []string{"PATH=" + os.Getenv("PATH"), "CAMPAIGN_DATA_DIR=" + dataDir, "CAMPAIGN_SECRET_KEY=" + durabilityKey}
	rotate := exec.Command(bin, "keys", "rotate")
	rotate.Env = env
	var rotOut, rotErr bytes.Buffer
	rotate.Stdout, rotate.Stderr = &rotOut, &rotErr
	if err := rotate.Run(); err != nil {
		t.Fatalf("keys rotate: %v\n%s\n%s", err, rotOut.String(), rotErr.String())
	}
	during := ackedNow() - before
	time.Sleep(300 * time.Millisecond) // the old server signs on after the rotation
	close(stop)
	wg.Wait()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("old server: %v\n%s", err, srv.logs.String())
	}
	if during < 50 || failures > 0 {
		t.Fatalf("%d signatures acknowledged during the rotation and %d refused; want many and none:\n%s", during, failures, srv.logs.String())
	}
	newKey := regexp.MustCompile(`(?m)^[0-9a-f]{64}$`).FindString(rotOut.String())
	if newKey == "" || newKey == durabilityKey {
		t.Fatalf("keys rotate did not print a new key:\n%s", rotOut.String())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "secret.key.new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the pending key file is still there after the key was printed (err %v)", err)
	}
	newV := mustVaultHex(t, newKey)
	t.Logf("%d signatures in all, %d acknowledged while keys rotate ran; it said: %s", len(acked), during,
		regexp.MustCompile(`(?m)^rotated:.*$`).FindString(rotOut.String()))

	// Restarted with the new key: every acknowledged signature opens.
	srv2 := startServer(t, bin, dataDir, "CAMPAIGN_SECRET_KEY="+newKey)
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dataDir, "campaign.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkOpensWith(t, db, newV, acked, "after the restart with the new key")

	finish := exec.Command(bin, "keys", "finish")
	finish.Env = append(env, "CAMPAIGN_SECRET_KEY="+newKey)
	if out, err := finish.CombinedOutput(); err != nil {
		t.Fatalf("keys finish: %v\n%s", err, out)
	}
	checkOpensWith(t, db, newV, acked, "after keys finish")
	oldSvc := signing.NewService(oldV, nil, nil, false, time.Now).WithKeyring(signing.NewKeyring(db, oldV))
	for _, sig := range sealedRows(t, db) {
		if in, err := oldSvc.Open(sig); err == nil {
			t.Fatalf("signature %d (%s) still opens with the old key after keys finish", sig.ID, in.Email)
		}
	}

	// Duplicates are still recognised under the new key.
	count := func() int64 {
		rows, _ := db.CountSignatures(ctx)
		var n int64
		for _, r := range rows {
			n += r.N
		}
		return n
	}
	n := count()
	for _, email := range []string{"older-7@example.org", "rot-0-0@example.org"} {
		body := fmt.Sprintf(`{"name":"Again","email":%q,"country":"KH"}`, email)
		resp, err := http.Post(srv2.base+"/petitions/"+slug+"/signatures", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := count(); got != n {
		t.Errorf("signing again with two addresses that signed before the rotation added %d rows, want 0", got-n)
	}

	var actions []string
	entries, _ := db.FindAudit(ctx, 0, 10)
	for _, e := range entries {
		actions = append(actions, e.Action)
		if e.Action == "keys.rotate" && (e.Actor != "cli" || e.RowCount < 3000) {
			t.Errorf("rotation audit entry %+v, want actor cli and at least the 3000 older rows", e)
		}
	}
	if got := strings.Join(actions, " "); !strings.Contains(got, "keys.finish keys.rotate") {
		t.Errorf("audit log %q, want keys.rotate then keys.finish", got)
	}
}

// seedOlderRows makes the database of dataDir as an earlier release left
// it: the campaign's petitions, and n signatures sealed with the vault's own
// field key (no data key). It returns their emails and names.
func seedOlderRows(t *testing.T, dataDir string, v *vault.Vault, slug string, n int) map[string]string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dataDir, "campaign.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	camp, err := content.Load("../../config")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := petition.Sync(ctx, db, camp.Petitions); err != nil {
		t.Fatal(err)
	}
	p, err := db.FindPetitionBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	svc := signing.NewService(v, nil, nil, false, time.Now)
	names := map[string]string{}
	var batch []*store.Signature
	for i := range n {
		in := signing.Input{Name: fmt.Sprintf("Older Signer %d", i), Email: fmt.Sprintf("older-%d@example.org", i), Country: "KH"}
		sig, _, err := svc.Prepare(ctx, p, signing.Request{Input: in, Lang: "en", Source: "web"})
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, sig)
		names[in.Email] = in.Name
		if len(batch) == 500 || i == n-1 {
			if _, err := db.InsertSignatures(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return names
}

// checkOpensWith opens every stored signature with a fresh keyring of v
// and checks that each acknowledged signer is there, with the right name.
func checkOpensWith(t *testing.T, db *store.DB, v *vault.Vault, acked map[string]string, when string) {
	t.Helper()
	svc := signing.NewService(v, nil, nil, false, time.Now).WithKeyring(signing.NewKeyring(db, v))
	seen := map[string]bool{}
	for _, sig := range sealedRows(t, db) {
		in, err := svc.Open(sig)
		if err != nil {
			t.Fatalf("%s: signature %d (key %v) does not open: %v", when, sig.ID, sig.KeyID, err)
		}
		if want, ok := acked[in.Email]; ok && want != in.Name {
			t.Errorf("%s: %s opens with name %q, want %q", when, in.Email, in.Name, want)
		}
		seen[in.Email] = true
	}
	missing := 0
	for email := range acked {
		if !seen[email] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%s: %d of %d acknowledged signatures are missing or unreadable", when, missing, len(acked))
	}
}

// sealedRows returns every signature that holds personal data.
func sealedRows(t *testing.T, db *store.DB) []*store.Signature {
	t.Helper()
	var out []*store.Signature
	for after := int64(0); ; {
		rows, err := db.FindSignaturesToRekey(context.Background(), after, 1<<62, nil, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			return out
		}
		for _, r := range rows {
			full, err := db.FindSignatureByID(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, full)
		}
		after = rows[len(rows)-1].ID
	}
}

func TestKeysStatusAndUsage(t *testing.T) {
	ctx := context.Background()
	d := newExportData(t)
	d.sign(t, signing.Input{Name: "Older Row", Email: "older@example.org", Country: "KH"})
	d.svc.WithKeyring(signing.NewKeyring(d.db, mustVaultHex(t, exportKey)))
	d.sign(t, signing.Input{Name: "Sokha", Email: "sokha@example.org", Country: "KH"})
	code, out, errOut := run(t, ctx, d.vars, "keys", "status")
	if code != 0 || !regexp.MustCompile(`(?m)^1\s+`+exportSlug+`\s+current\s+1$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)from before data keys\s+1$`).MatchString(out) {
		t.Errorf("keys status: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := run(t, ctx, d.vars, "keys"); code != 2 || !strings.Contains(errOut, "rotate") {
		t.Errorf("keys without subcommand: exit %d, %q", code, errOut)
	}
	if code, _, _ := run(t, ctx, d.vars, "keys", "spin"); code != 2 {
		t.Errorf("keys spin: exit %d, want 2", code)
	}
	// Without any key there is nothing to rotate, and none is made.
	empty := t.TempDir()
	code, _, errOut = run(t, ctx, map[string]string{"CAMPAIGN_DATA_DIR": empty}, "keys", "rotate")
	if code != 1 || !strings.Contains(errOut, "nothing to rotate") {
		t.Errorf("rotate without a key: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(empty, "secret.key")); !errors.Is(err, os.ErrNotExist) {
		t.Error("keys rotate created a secret key where there was none")
	}
}

// TestKeysRotateReplacesTheKeyFile rotates a campaign whose key is in
// DATA_DIR/secret.key: the new key replaces the file, is never printed,
// and opens everything.
func TestKeysRotateReplacesTheKeyFile(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for running servers to settle")
	}
	ctx := context.Background()
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "secret.key")
	if err := os.WriteFile(keyPath, []byte(exportKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	acked := seedOlderRows(t, dir, mustVaultHex(t, exportKey), "coordinated-sanctions", 20)
	vars := map[string]string{"CAMPAIGN_DATA_DIR": dir}
	code, out, errOut := run(t, ctx, vars, "keys", "rotate")
	if code != 0 {
		t.Fatalf("keys rotate: exit %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	newKey := strings.TrimSpace(string(b))
	if newKey == exportKey || strings.Contains(out+errOut, newKey) {
		t.Fatalf("key file %q after rotation: want a new key, never printed", newKey)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if _, err := os.Stat(keyPath + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("secret.key.new is still there (err %v)", err)
	}
	if !strings.Contains(errOut, "re-encrypted 20 signatures") || !strings.Contains(out, "rotated: 20 signatures") {
		t.Errorf("rotation output lacks its progress or summary:\n%s%s", out, errOut)
	}
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "campaign.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkOpensWith(t, db, mustVaultHex(t, newKey), acked, "after rotating the key file")
	if code, out, errOut := run(t, ctx, vars, "keys", "finish"); code != 0 || !strings.Contains(out, "finished") {
		t.Errorf("keys finish: exit %d\n%s%s", code, out, errOut)
	}
}
