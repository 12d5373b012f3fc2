package petition_test

import (
	"os"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// These tests run on SQLite, then again on PostgreSQL when
// CAMPAIGN_TEST_POSTGRES names a server.
func TestMain(m *testing.M) { os.Exit(testutil.RunOnBothDatabases(m)) }
