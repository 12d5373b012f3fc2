package cli_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

const durabilityKey = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"

// buildBinary compiles the real campaign binary once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "campaign")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/campaign")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build campaign: %v", err)
	}
	return bin
}

type child struct {
	cmd  *exec.Cmd
	base string
	logs *strings.Builder
}

func startServer(t *testing.T, bin, dataDir string, extra ...string) *child {
	t.Helper()
	addr := freeAddr(t)
	content, _ := filepath.Abs("../../config")
	cmd := exec.Command(bin, "serve")
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"CAMPAIGN_DATA_DIR=" + dataDir,
		"CAMPAIGN_ADDR=" + addr,
		"CAMPAIGN_CONTENT_DIR=" + content,
		"CAMPAIGN_SECRET_KEY=" + durabilityKey,
		"CAMPAIGN_RATE_LIMIT=off",
	}, extra...)
	logs := &strings.Builder{}
	cmd.Stderr = &lockedWriter{b: logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, base: "http://" + addr, logs: logs}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitReady(t, c.base+"/readyz")
	return c
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestAcknowledgedSignaturesSurviveSIGKILL signs concurrently, kills the
// server without warning in the middle, restarts it on the same data and
// checks that every signature that got a 201 is stored exactly once and that
// the counters after restart equal the database.
func TestAcknowledgedSignaturesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	bin := buildBinary(t)
	dataDir := t.TempDir()
	srv := startServer(t, bin, dataDir)
	const slug = "coordinated-sanctions"

	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 24; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("kill-%d-%d@example.org", w, i)
				body := fmt.Sprintf(`{"name":"Signer %d %d","email":%q,"country":"KH"}`, w, i, email)
				resp, err := client.Post(srv.base+"/petitions/"+slug+"/signatures", "application/json", strings.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					acked = append(acked, email)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d signatures acknowledged before the kill; the test needs load to mean anything", len(acked))
	}

	srv2 := startServer(t, bin, dataDir)
	ctx := context.Background()
	db, v, p := openSigned(t, dataDir, slug)
	missing := 0
	for _, email := range acked {
		if _, err := db.FindSignatureByEmail(ctx, p.ID, v.EmailHash(email)); err != nil {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged signatures are missing after SIGKILL and restart", missing, len(acked))
	}
	rows, err := db.CountSignatures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stored int64
	for _, r := range rows {
		if r.PetitionID == p.ID && r.Status == store.StatusConfirmed {
			stored += r.N
		}
	}
	if stored < int64(len(acked)) {
		t.Errorf("database holds %d signatures, fewer than the %d acknowledged", stored, len(acked))
	}
	resp, err := http.Get(srv2.base + "/api/petitions/" + slug)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var figures struct{ Total int64 }
	if err := json.NewDecoder(resp.Body).Decode(&figures); err != nil {
		t.Fatal(err)
	}
	if figures.Total != stored {
		t.Errorf("counter after restart shows %d, database holds %d", figures.Total, stored)
	}
	t.Logf("%d acknowledged before SIGKILL, %d stored, counter %d", len(acked), stored, figures.Total)
}

// TestSIGTERMDrainsAndExitsCleanly signs concurrently, sends SIGTERM and
// checks that the server exits 0 and every acknowledged signature is stored.
func TestSIGTERMDrainsAndExitsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	bin := buildBinary(t)
	dataDir := t.TempDir()
	srv := startServer(t, bin, dataDir)
	const slug = "free-political-prisoners"
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				email := fmt.Sprintf("term-%d-%d@example.org", w, i)
				body := fmt.Sprintf(`{"name":"Signer %d %d","email":%q,"country":"TH"}`, w, i, email)
				resp, err := client.Post(srv.base+"/petitions/"+slug+"/signatures", "application/json", strings.NewReader(body))
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					return // 503 while draining, or the listener closed
				}
				mu.Lock()
				acked = append(acked, email)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := srv.cmd.Wait()
	wg.Wait()
	if err != nil {
		t.Fatalf("server exited with %v after SIGTERM, want status 0; logs:\n%s", err, srv.logs.String())
	}
	if !strings.Contains(srv.logs.String(), "stopped cleanly") {
		t.Errorf("logs do not say the server stopped cleanly:\n%s", srv.logs.String())
	}
	ctx := context.Background()
	db, v, p := openSigned(t, dataDir, slug)
	for _, email := range acked {
		if _, err := db.FindSignatureByEmail(ctx, p.ID, v.EmailHash(email)); err != nil {
			t.Fatalf("acknowledged signature %s missing after a clean stop", email)
		}
	}
	if len(acked) < 50 {
		t.Errorf("only %d signatures acknowledged before SIGTERM; the test needs load to mean anything", len(acked))
	}
}

// openSigned opens the SQLite database of a data directory the tests'
// servers signed into, with the vault of their key and the petition slug.
func openSigned(t *testing.T, dataDir, slug string) (*store.DB, *vault.Vault, *store.Petition) {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite://"+filepath.Join(dataDir, "campaign.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, _ := hex.DecodeString(durabilityKey)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.FindPetitionBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return db, v, p
}
