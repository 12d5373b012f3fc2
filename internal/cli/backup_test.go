package cli_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// TestBackupUnderLoadRestores backs up while the real server takes
// signatures, restores into a fresh directory and finds every signature
// acknowledged before the backup began, with field-level encryption intact.
func TestBackupUnderLoadRestores(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	bin := buildBinary(t)
	dataDir := t.TempDir()
	srv := startServer(t, bin, dataDir)
	const slug = "coordinated-sanctions"
	client := &http.Client{Timeout: 5 * time.Second}
	sign := func(email string) bool {
		body := fmt.Sprintf(`{"name":"Backup Signer","email":%q,"country":"FR"}`, email)
		resp, err := client.Post(srv.base+"/petitions/"+slug+"/signatures", "application/json", strings.NewReader(body))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusCreated
	}
	var before []string
	for i := 0; i < 200; i++ {
		email := fmt.Sprintf("before-%d@example.org", i)
		if !sign(email) {
			t.Fatalf("signature %d refused", i)
		}
		before = append(before, email)
	}
	// Keep signing during the backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sign(fmt.Sprintf("during-%d-%d@example.org", w, i))
			}
		}()
	}
	backupFile := filepath.Join(t.TempDir(), "backup.db")
	vars := map[string]string{"CAMPAIGN_DATA_DIR": dataDir}
	code, out, errOut := run(t, context.Background(), vars, "backup", "--out", backupFile)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup under load: exit %d: %s%s", code, out, errOut)
	}
	if info, err := os.Stat(backupFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file %v, err %v; want mode 0600", info, err)
	}
	if raw, _ := os.ReadFile(backupFile); strings.Contains(string(raw), "Backup Signer") || strings.Contains(string(raw), "before-1@example.org") {
		t.Error("the backup contains a signer's name or email in clear")
	}

	fresh := t.TempDir()
	restoreVars := map[string]string{"CAMPAIGN_DATA_DIR": fresh}
	if code, out, errOut := run(t, context.Background(), restoreVars, "restore", backupFile); code != 0 {
		t.Fatalf("restore: exit %d: %s%s", code, out, errOut)
	}
	if code, _, _ := run(t, context.Background(), restoreVars, "restore", backupFile); code != 2 {
		t.Errorf("restoring over an existing database without --force: exit %d, want 2", code)
	}
	ctx := context.Background()
	db, v, p := openSigned(t, fresh, slug)
	for _, email := range before {
		s, err := db.FindSignatureByEmail(ctx, p.ID, v.EmailHash(email))
		if err != nil {
			t.Fatalf("%s missing from the restored backup", email)
		}
		if len(s.NameEnc) == 0 {
			t.Fatalf("%s restored without its encrypted name", email)
		}
	}
	// The restored database serves the same counts.
	srv2 := startServer(t, bin, fresh)
	rows, _ := db.CountSignatures(ctx)
	var stored int64
	for _, r := range rows {
		if r.PetitionID == p.ID && r.Status == store.StatusConfirmed {
			stored += r.N
		}
	}
	resp, err := http.Get(srv2.base + "/api/petitions/" + slug)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), fmt.Sprintf(`"total":%d`, stored)) {
		t.Errorf("restored server shows %s, want total %d", body, stored)
	}
}
