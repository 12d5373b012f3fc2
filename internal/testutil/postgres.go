package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// PostgresServerEnv names a PostgreSQL server the tests may use, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. Unset, every
// test runs on SQLite only.
const PostgresServerEnv = "CAMPAIGN_TEST_POSTGRES"

// postgresRunEnv carries, to the second run of a test binary, the URL of
// the database that run created for itself.
const postgresRunEnv = "CAMPAIGN_TEST_POSTGRES_RUN"

// RunOnBothDatabases runs a package's tests on SQLite and then, when
// CAMPAIGN_TEST_POSTGRES names a server, runs the same test binary again
// with every NewDB on PostgreSQL: in a database created for that run and
// dropped after it. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testutil.RunOnBothDatabases(m)) }
func RunOnBothDatabases(m *testing.M) int { return RunOnBothDatabasesSkipping(m, "") }

// RunOnBothDatabasesSkipping is RunOnBothDatabases with the tests matching
// skip (a -test.skip pattern) left out of the PostgreSQL run: those that
// do not depend on the database and are slow, such as browser tests.
func RunOnBothDatabasesSkipping(m *testing.M, skip string) int {
	if os.Getenv(postgresRunEnv) != "" {
		return m.Run() // this is the PostgreSQL run
	}
	code := m.Run()
	server := os.Getenv(PostgresServerEnv)
	if server == "" {
		return code
	}
	runURL, drop, err := createRunDatabase(server)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%s: %v\n", PostgresServerEnv, server, err)
		return 1
	}
	defer drop()
	fmt.Println("=== the same tests on PostgreSQL")
	args := os.Args[1:]
	if skip != "" {
		args = append(args, "-test.skip="+skip)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), postgresRunEnv+"="+runURL)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "tests on PostgreSQL: %v\n", err)
		return 1
	}
	return code
}

// OnPostgres reports whether this test binary runs its databases on
// PostgreSQL (the second run of RunOnBothDatabases).
func OnPostgres() bool { return os.Getenv(postgresRunEnv) != "" }

// PostgresServer returns the URL of the PostgreSQL server the tests may
// use, or skips the test (fails it under CI) when none is named.
func PostgresServer(t testing.TB) string {
	t.Helper()
	server := os.Getenv(PostgresServerEnv)
	if server == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (see .ci/run)", PostgresServerEnv)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL test", PostgresServerEnv)
	}
	return server
}

// NewPostgresDatabase creates an empty database on the server for one test
// and drops it when the test ends; it returns the database's URL.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	runURL, drop, err := createRunDatabase(PostgresServer(t))
	if err != nil {
		t.Fatalf("create PostgreSQL test database: %v", err)
	}
	t.Cleanup(drop)
	return runURL
}

// createRunDatabase creates a database with a random name on the server
// and returns its URL and a function that drops it.
func createRunDatabase(server string) (string, func(), error) {
	name := "campaign_test_" + randomHex(6)
	admin, err := store.Open(context.Background(), server)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	if err := admin.ExecAdmin(context.Background(), "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		admin, err := store.Open(context.Background(), server)
		if err != nil {
			fmt.Fprintf(os.Stderr, "drop test database %s: %v\n", name, err)
			return
		}
		defer admin.Close()
		if err := admin.ExecAdmin(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "drop test database %s: %v\n", name, err)
		}
	}
	return u.String(), drop, nil
}

// newPostgresSchemaDB opens the run's database in a schema of its own for
// one test, so tests stay independent without a database each.
func newPostgresSchemaDB(t testing.TB) *store.DB {
	t.Helper()
	runURL := os.Getenv(postgresRunEnv)
	schema := "t_" + randomHex(6)
	admin, err := store.Open(context.Background(), runURL)
	if err != nil {
		t.Fatalf("open PostgreSQL test database: %v", err)
	}
	defer admin.Close()
	if err := admin.ExecAdmin(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	u, _ := url.Parse(runURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("open test schema: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		if admin, err := store.Open(context.Background(), runURL); err == nil {
			_ = admin.ExecAdmin(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		}
	})
	return db
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
