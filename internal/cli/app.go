package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/cambodia-sanctions/campaign/internal/config"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// loadConfig reads the settings; an invalid setting is a usage error.
func loadConfig(env Env) (*config.Config, error) {
	cfg, err := config.Load(env.Lookup, "")
	if err != nil {
		return nil, usageError{"configuration: " + err.Error() + "\n(run 'campaign serve -h' for every setting)"}
	}
	return cfg, nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch cfg.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loadKey returns the secret key from the settings, or from the key file in
// the data directory, creating it on first run.
func loadKey(cfg *config.Config, log *slog.Logger) ([]byte, error) {
	if cfg.SecretKey.IsSet() {
		key, err := vault.ParseKey(cfg.SecretKey.Value())
		if err != nil {
			return nil, usageError{"CAMPAIGN_SECRET_KEY: " + err.Error()}
		}
		return key, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s (CAMPAIGN_DATA_DIR): %w", cfg.DataDir, err)
	}
	path := cfg.SecretKeyPath()
	if !strings.HasPrefix(cfg.Database, "sqlite://") {
		// Several instances share a PostgreSQL database: a key made here
		// would differ from the others'. The operator gives every instance
		// the same one.
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, usageError{"with PostgreSQL every instance needs the same secret key: make one once with `openssl rand -hex 32` (or use the SQLite campaign's DATA_DIR/secret.key when moving up) and give it to each instance as CAMPAIGN_SECRET_KEY_FILE or CAMPAIGN_SECRET_KEY"}
		}
	}
	key, created, err := vault.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", path, err)
	}
	if created {
		log.Warn("created a new secret key: back it up separately from the database; without it no signer data can be read",
			"path", path)
	}
	return key, nil
}

// openDB opens the database and brings its schema up to date.
func openDB(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("CAMPAIGN_DATABASE: %w", err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	for _, m := range applied {
		log.Info("applied migration", "migration", m)
	}
	return db, nil
}

// readiness reports whether the database answers and its schema is the one
// this build expects.
func readiness(db *store.DB) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := db.Ping(ctx); err != nil {
			return fmt.Errorf("database: %w", err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		if v != store.LatestVersion() {
			return errors.New("database schema is not current: run 'campaign migrate'")
		}
		return nil
	}
}

func configHelp(w io.Writer) {
	fmt.Fprintln(w, "Settings (environment variables; secrets also accept NAME_FILE):")
	config.Usage(w)
}

func runMigrate(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "migrate", "", `
Apply every pending database migration and exit. 'serve' does the same at
start; run this first when several servers share one database.`, configHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.Stderr)
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return fmt.Errorf("CAMPAIGN_DATABASE: %w", err)
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		log.Info("applied migration", "migration", m)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(env.Stdout, "database is up to date (version %d)\n", store.LatestVersion())
		return nil
	}
	fmt.Fprintf(env.Stdout, "applied %d migration(s): %s\n", len(applied), strings.Join(applied, "; "))
	return nil
}

// openData is what every command touching signer data needs: the settings,
// a logger, the vault from the secret key and the migrated database. The
// caller closes the database.
func openData(ctx context.Context, env Env) (*config.Config, *slog.Logger, *vault.Vault, *store.DB, error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	log := newLogger(cfg, env.Stderr)
	key, err := loadKey(cfg, log)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	v, err := vault.New(key)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return cfg, log, v, db, nil
}
