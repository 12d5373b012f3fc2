package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/config"
	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/mail"
	"github.com/cambodia-sanctions/campaign/internal/metrics"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/ratelimit"
	"github.com/cambodia-sanctions/campaign/internal/server"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
	"github.com/cambodia-sanctions/campaign/web"
)

// maxBatch bounds one group-commit transaction.
const maxBatch = 512

func runServe(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "serve", "", `
Serve the campaign site. With nothing configured it creates ./data/, a SQLite
database ./data/campaign.db and a secret key ./data/secret.key, loads the
campaign content from ./config/ and listens on :8080.`, configHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.Stderr)
	for _, line := range cfg.Summary() {
		log.Debug("setting", "value", line)
	}
	app, err := buildServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.db.Close()
	return app.serve(ctx, cfg, log)
}

// serverApp is a built server with what must be shut down after it.
type serverApp struct {
	db      *store.DB
	writer  *signing.BatchWriter
	srv     *server.Server
	tags    *signing.TagKeys
	svc     *signing.Service
	counter *signing.Counter
	catalog *petition.Catalog
	outbox  *mail.Outbox

	emailRetention      time.Duration
	retentionAfterClose time.Duration
}

// buildServer wires every part of the public site.
func buildServer(ctx context.Context, cfg *config.Config, log *slog.Logger) (*serverApp, error) {
	key, err := loadKey(cfg, log)
	if err != nil {
		return nil, err
	}
	v, err := vault.New(key)
	if err != nil {
		return nil, err
	}
	camp, err := content.Load(cfg.ContentDir)
	if err != nil {
		return nil, fmt.Errorf("campaign content (CAMPAIGN_CONTENT_DIR=%s): %w", cfg.ContentDir, err)
	}
	reg, err := jurisdiction.Load(cfg.ContentDir)
	if err != nil {
		return nil, fmt.Errorf("campaign content (CAMPAIGN_CONTENT_DIR=%s): %w", cfg.ContentDir, err)
	}
	letterTemplates, err := letters.LoadTemplates(filepath.Join(cfg.ContentDir, "letters"))
	if err != nil {
		return nil, fmt.Errorf("campaign content (CAMPAIGN_CONTENT_DIR=%s): %w", cfg.ContentDir, err)
	}
	msgs, err := i18n.Load(web.FS, "locales")
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*serverApp, error) { db.Close(); return nil, err }
	keys := signing.NewKeyring(db, v)
	if err := keys.CheckSecretKey(ctx); err != nil {
		return fail(fmt.Errorf("%w: every instance on one database needs the secret key the data was written with (CAMPAIGN_SECRET_KEY, CAMPAIGN_SECRET_KEY_FILE or DATA_DIR/secret.key)", err))
	}
	lettersSvc, err := letters.New(letters.Options{Registry: reg, Store: db, Vault: v, Keys: keys, Templates: letterTemplates,
		BaseURL: cfg.BaseURL})
	if err != nil {
		return fail(err)
	}
	// Instances starting together on one database take turns, so each
	// petition from config/ is created once.
	var created, updated int
	err = db.WithLock(ctx, store.LockContentSync, true, func() (err error) {
		created, updated, err = petition.Sync(ctx, db, camp.Petitions)
		return err
	})
	if err != nil {
		return fail(fmt.Errorf("load petitions into the database: %w", err))
	}
	log.Info("campaign content loaded", "petitions", len(camp.Petitions), "created", created, "updated", updated)
	catalog := petition.NewCatalog(db)
	if err := catalog.Reload(ctx); err != nil {
		return fail(err)
	}
	counter := signing.NewCounter(time.Now)
	rows, err := db.CountSignatures(ctx)
	if err != nil {
		return fail(err)
	}
	counter.Load(rows)
	m := metrics.New(db.OutboxDepth)
	writer := signing.NewBatchWriter(db, maxBatch, func(b signing.BatchStats) {
		m.Batch(b.Size, b.Duration, b.Err != nil)
		if b.Err != nil {
			log.Error("signature batch failed", "size", b.Size, "err", b.Err)
		}
	})
	tags := signing.NewTagKeys(db, v)
	svc := signing.NewService(v, writer, counter, false, time.Now).WithClientTags(tags).WithKeyring(keys)
	outbox, err := buildOutbox(cfg, db, v, msgs, log)
	if err != nil {
		_ = writer.Close(ctx)
		return fail(err)
	}
	if cfg.Verify == "email" {
		svc.WithEmail(mail.Sealer{Vault: v, Titles: camp.PetitionTitle}, cfg.ConfirmTokenTTL, outbox.Notify)
	}
	authSvc, err := auth.NewService(db, v, time.Now)
	if err != nil {
		_ = writer.Close(ctx)
		return fail(err)
	}
	var limiter *ratelimit.Limiter
	if !cfg.RateLimit.Off {
		limiter = ratelimit.New(cfg.RateLimit.Requests, cfg.RateLimit.Per, time.Now)
	}
	srv, err := server.New(server.Options{
		RateLimit: limiter, Confirmations: db, Auth: authSvc, Console: db,
		Metrics: m, MetricsAllow: prefixes(cfg.MetricsAllow),
		Jurisdictions: reg, Letters: lettersSvc, RetentionAfterClose: cfg.RetentionAfterClose, EmailRetention: cfg.EmailRetention, ConfirmTTL: cfg.ConfirmTokenTTL,
		Logger: log, Petitions: catalog, Signing: svc, Counter: counter, Vault: v, Messages: msgs,
		Article: camp.Article, Translations: camp.Translations, EmbedOrigins: cfg.EmbedOrigins, Ready: readiness(db), Now: time.Now,
		BaseURL: cfg.BaseURL, TrustedProxies: cfg.TrustedProxies, MinPublicCount: cfg.MinPublicCount,
		MinFillTime: cfg.MinFillTime, MaxBodyBytes: cfg.MaxBodyBytes,
	})
	if err != nil {
		_ = writer.Close(ctx)
		return fail(err)
	}
	return &serverApp{db: db, writer: writer, srv: srv, tags: tags, svc: svc, outbox: outbox, counter: counter, catalog: catalog,
		emailRetention: cfg.EmailRetention, retentionAfterClose: cfg.RetentionAfterClose}, nil
}

// serve listens until ctx ends (SIGINT/SIGTERM), then stops accepting,
// finishes in-flight requests, drains queued signatures and returns.
func (a *serverApp) serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	hs := a.srv.HTTPServer(cfg.Addr)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = a.writer.Close(context.Background())
		return fmt.Errorf("listen on %s (CAMPAIGN_ADDR): %w", cfg.Addr, err)
	}
	// Start-up allocates a lot once (argon2id's 64 MiB for the timing-safe
	// dummy hash, font parsing for letters); hand it back to the OS before
	// serving so the resident size reflects the work, not the start.
	debug.FreeOSMemory()
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "verify", cfg.Verify)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	go a.housekeeping(ctx, log)
	go a.followDatabase(ctx, followEvery(a.db), log)
	mailCtx, stopMail := context.WithCancel(context.Background())
	mailDone := make(chan struct{})
	go func() { a.outbox.Run(mailCtx); close(mailDone) }()
	defer func() { stopMail(); <-mailDone }()
	select {
	case err := <-errc:
		_ = a.writer.Close(context.Background())
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and pending signatures")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := hs.Shutdown(sctx)
	if err := a.writer.Close(sctx); err != nil {
		return fmt.Errorf("drain pending signatures: %w", err)
	}
	if shutdownErr != nil && !errors.Is(shutdownErr, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	log.Info("stopped cleanly")
	return nil
}

// housekeepingEvery is how often the periodic jobs run. With several
// instances on one database each asks that often and one of them runs the
// jobs (an advisory lock against overlap, a claim in the database against
// repeats), so they run about once per period, not once per instance.
const housekeepingEvery = time.Hour

// housekeeping runs the periodic jobs until ctx ends: deleting client-tag
// keys past their week, expired sessions, and personal data past its
// retention.
func (a *serverApp) housekeeping(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(housekeepingEvery)
	defer t.Stop()
	for {
		a.tags.Forget(time.Now())
		err := a.db.WithLock(ctx, store.LockHousekeeping, false, func() error {
			// A little under the period, so a tick a moment early still runs.
			due, err := a.db.ClaimPeriodicJob(ctx, "housekeeping", housekeepingEvery-time.Minute, time.Now())
			if err != nil || !due {
				return err
			}
			a.runHousekeeping(ctx, log)
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrLocked) && ctx.Err() == nil {
			log.Error("periodic jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *serverApp) runHousekeeping(ctx context.Context, log *slog.Logger) {
	if n, err := a.tags.Purge(ctx, time.Now()); err != nil && ctx.Err() == nil {
		log.Error("purge client-tag keys", "err", err)
	} else if n > 0 {
		log.Info("deleted expired client-tag keys", "count", n)
	}
	now := time.Now()
	if _, err := a.db.DeleteExpiredSessions(ctx, now, now.Add(-auth.IdleTimeout)); err != nil && ctx.Err() == nil {
		log.Error("delete expired sessions", "err", err)
	}
	if n, err := a.svc.EraseClosedPetitions(ctx, a.db, a.retentionAfterClose); err != nil && ctx.Err() == nil {
		log.Error("erase personal data of closed petitions", "err", err)
	} else if n > 0 {
		log.Info("erased signers' personal data after their petition closed", "count", n)
	}
	if n, err := a.svc.EraseExpiredEmails(ctx, a.db, a.emailRetention); err != nil && ctx.Err() == nil {
		log.Error("erase expired emails", "err", err)
	} else if n > 0 {
		log.Info("erased signer emails past retention", "count", n)
	}
}

// buildOutbox picks the mail transport — SMTP when CAMPAIGN_SMTP_URL is
// set, else .eml files under DATA_DIR/outbox — and the worker that sends
// queued mail through it.
func buildOutbox(cfg *config.Config, db *store.DB, v *vault.Vault, msgs *i18n.Catalog, log *slog.Logger) (*mail.Outbox, error) {
	composer, err := mail.NewComposer(msgs, mail.ComposerOptions{BaseURL: cfg.BaseURL, Subject: cfg.MailSubject,
		NamePetition: cfg.MailNamePetition})
	if err != nil {
		return nil, fmt.Errorf("mail (CAMPAIGN_MAIL_SUBJECT): %w", err)
	}
	from := cfg.MailFrom
	if from == "" {
		from = "Signatures <noreply@localhost>"
	}
	var transport mail.Transport
	if cfg.MailTransport == "smtp" && cfg.SMTPURL.IsSet() {
		if transport, err = mail.NewSMTP(cfg.SMTPURL.Value(), from); err != nil {
			return nil, fmt.Errorf("CAMPAIGN_SMTP_URL / CAMPAIGN_MAIL_FROM: %w", err)
		}
	} else {
		dir := filepath.Join(cfg.DataDir, "outbox")
		if transport, err = mail.NewFile(dir, from, log); err != nil {
			return nil, fmt.Errorf("mail file transport %s: %w", dir, err)
		}
	}
	return mail.NewOutbox(db, v, composer, transport, mail.OutboxOptions{Logger: log}), nil
}

// followEvery is how often an instance looks at what others changed. On
// PostgreSQL, where other instances sign too, it reloads the counts every
// second (a few hundred rows kept by triggers), so every instance shows the
// same figures within two seconds. On SQLite the one server counts in
// memory and only an outside change (a CSV import) needs a reload.
func followEvery(db *store.DB) time.Duration {
	if db.Dialect() == "postgres" {
		return time.Second
	}
	return 2 * time.Second
}

// followDatabase keeps the in-memory counters and petitions in step with
// the database: counters reload when another process changed the counts
// (always on PostgreSQL; on SQLite when the counts version moved), the
// petition catalog when a petition changed (in the console of another
// instance). A counter reload waits for the signatures, confirmations and
// moderations under way to be both committed and counted, and holds new
// ones back while it reads (Counter.Reload), so it neither misses nor
// double-counts a change committing at that moment.
func (a *serverApp) followDatabase(ctx context.Context, every time.Duration, log *slog.Logger) {
	shared := a.db.Dialect() == "postgres"
	seenCounts, err := a.db.CountsVersion(ctx)
	if err != nil {
		log.Error("read counts version", "err", err)
	}
	seenCatalog, err := a.db.CatalogVersion(ctx)
	if err != nil {
		log.Error("read catalog version", "err", err)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if v, err := a.db.CatalogVersion(ctx); err == nil && v != seenCatalog {
			if err := a.catalog.Reload(ctx); err != nil {
				if ctx.Err() == nil {
					log.Error("reload petitions", "err", err)
				}
			} else {
				seenCatalog = v
			}
		}
		v, err := a.db.CountsVersion(ctx)
		if err != nil || (v == seenCounts && !shared) {
			continue
		}
		// Signing waits while a reload reads: a database that hangs must
		// not hold it for longer than a moment.
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = a.counter.Reload(func() ([]store.CountRow, error) { return a.db.CountSignatures(rctx) })
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				log.Error("reload counters", "err", err)
			}
			continue
		}
		if v != seenCounts {
			log.Info("counters reloaded after an outside change")
		}
		seenCounts = v
	}
}

// prefixes parses CIDRs that config.Validate has already checked.
func prefixes(cidrs []string) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil {
			out = append(out, p)
		}
	}
	return out
}
