package server_test

import (
	"os"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// The handler tests run on SQLite, then again on PostgreSQL when
// CAMPAIGN_TEST_POSTGRES names a server; the browser tests, which test
// pages rather than the database, run once.
func TestMain(m *testing.M) {
	os.Exit(testutil.RunOnBothDatabasesSkipping(m, "^TestBrowser|^TestEmbedBrowser"))
}
