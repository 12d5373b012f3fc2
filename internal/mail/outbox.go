package mail

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// Backoff bounds: the first retry waits about firstRetry, each further one
// twice as long, up to maxRetry, each ±jitter so that messages queued
// together during an outage do not all retry at the same instant.
const (
	firstRetry = 30 * time.Second
	maxRetry   = time.Hour
	jitter     = 0.2
)

// markTimeout bounds recording a result, which goes on after the worker
// was asked to stop.
const markTimeout = 30 * time.Second

// OutboxStore is the part of the store the outbox worker needs.
type OutboxStore interface {
	ClaimDueOutbox(ctx context.Context, now time.Time, limit int) ([]store.OutboxMessage, error)
	// MarkOutboxSent also erases the payload.
	MarkOutboxSent(ctx context.Context, id int64, at time.Time) error
	MarkOutboxRetry(ctx context.Context, id int64, attempts int, next time.Time, lastError string) error
	// MarkOutboxFailed also erases the payload.
	MarkOutboxFailed(ctx context.Context, id int64, at time.Time, lastError string) error
	// ReleaseOutbox makes claimed messages that were not attempted due at once.
	ReleaseOutbox(ctx context.Context, ids []int64, now time.Time) error
}

// OutboxOptions tunes an Outbox; zero values take the defaults.
type OutboxOptions struct {
	PollInterval time.Duration    // how often to look for due mail; default 2s
	Batch        int              // messages claimed per pass; default 50
	MaxAge       time.Duration    // give up this long after a message was queued; default 72h
	Now          func() time.Time // the clock; default time.Now
	Logger       *slog.Logger     // default slog.Default()
}

// Outbox sends queued mail: it claims due messages, opens and composes
// each, sends it, and records the result. A failed send is retried with
// exponential backoff until MaxAge after the message was queued. Several
// outboxes may run on one database; the store hands each message to one.
type Outbox struct {
	st   OutboxStore
	v    *vault.Vault
	c    *Composer
	t    Transport
	opt  OutboxOptions
	log  *slog.Logger
	wake chan struct{}
}

// NewOutbox returns a worker; start it with Run.
func NewOutbox(st OutboxStore, v *vault.Vault, c *Composer, t Transport, o OutboxOptions) *Outbox {
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 72 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Outbox{st: st, v: v, c: c, t: t, opt: o, log: log, wake: make(chan struct{}, 1)}
}

// Notify wakes the worker now, for example right after a signature queued
// a mail. It never blocks.
func (o *Outbox) Notify() {
	select {
	case o.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Run sends due mail until ctx ends, every PollInterval or sooner when
// notified. A message being sent when ctx ends is finished and recorded
// before Run returns.
func (o *Outbox) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-o.wake:
		}
		sent, retried, failed, err := o.SendDue(ctx)
		if err != nil && ctx.Err() == nil {
			o.log.Error("outbox pass failed", "error", err)
		}
		next := o.opt.PollInterval
		if err == nil && sent+retried+failed >= o.opt.Batch {
			next = 0 // a full batch: more may be due
		}
		timer.Reset(next)
	}
}

// SendDue makes one pass: it claims up to Batch due messages and handles
// each, stopping early when ctx ends. It returns how many were sent,
// rescheduled and given up, and the first store error met.
func (o *Outbox) SendDue(ctx context.Context) (sent, retried, failed int, err error) {
	claimed := o.opt.Now()
	msgs, err := o.st.ClaimDueOutbox(ctx, claimed, o.opt.Batch)
	if err != nil {
		return 0, 0, 0, err
	}
	for i, m := range msgs {
		// Claimed messages are this worker's for store.OutboxLease; past
		// that another worker (instance) may claim them. Stop well before
		// (a slow mail relay) or when asked to, and hand the rest back at
		// once rather than leave them waiting out the lease.
		if ctx.Err() != nil || o.opt.Now().Sub(claimed) > store.OutboxLease/2 {
			rest := make([]int64, 0, len(msgs)-i)
			for _, r := range msgs[i:] {
				rest = append(rest, r.ID)
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
			if rerr := o.st.ReleaseOutbox(rctx, rest, o.opt.Now()); rerr != nil && err == nil {
				err = rerr
			}
			cancel()
			break
		}
		// The in-flight message is finished even if ctx ends meanwhile, so
		// a stop never leaves a sent mail recorded as unsent.
		res, markErr := o.handle(context.WithoutCancel(ctx), m)
		switch res {
		case resultSent:
			sent++
		case resultRetry:
			retried++
		case resultFailed:
			failed++
		}
		if markErr != nil && err == nil {
			err = markErr
		}
	}
	return sent, retried, failed, err
}

type result int

const (
	resultSent result = iota
	resultRetry
	resultFailed
)

// handle sends one message and records what happened.
func (o *Outbox) handle(ctx context.Context, m store.OutboxMessage) (result, error) {
	now := o.opt.Now()
	if now.Sub(m.CreatedAt) > o.opt.MaxAge {
		return resultFailed, o.fail(ctx, m, now, "expired", m.Attempts)
	}
	p, err := OpenPayload(o.v, m.PayloadEnc)
	if err != nil {
		return resultFailed, o.fail(ctx, m, now, "payload: cannot be opened", m.Attempts)
	}
	if p.Kind != m.Kind {
		return resultFailed, o.fail(ctx, m, now, "payload: kind does not match", m.Attempts)
	}
	msg, err := o.c.Compose(p)
	if err != nil {
		// Composing depends only on the payload and the templates checked at
		// start-up: trying again would fail again.
		return resultFailed, o.fail(ctx, m, now, "compose: "+m.Kind+" mail cannot be written", m.Attempts)
	}
	attempts := m.Attempts + 1
	sendErr := o.t.Send(ctx, msg)
	now = o.opt.Now()
	if sendErr == nil {
		o.log.Info("mail sent", "id", m.ID, "kind", m.Kind, "attempts", attempts)
		return resultSent, o.record(ctx, m, "sent", func(ctx context.Context) error {
			return o.st.MarkOutboxSent(ctx, m.ID, now)
		})
	}
	class, permanent := errorClass(sendErr)
	if permanent {
		return resultFailed, o.fail(ctx, m, now, class, attempts)
	}
	wait := backoff(attempts, rand.Float64())
	o.log.Warn("mail not sent, will retry", "id", m.ID, "kind", m.Kind, "attempts", attempts,
		"error", class, "retry_in", wait.Round(time.Second).String())
	return resultRetry, o.record(ctx, m, "retry", func(ctx context.Context) error {
		return o.st.MarkOutboxRetry(ctx, m.ID, attempts, now.Add(wait), class)
	})
}

// fail gives up on m, which erases its payload.
func (o *Outbox) fail(ctx context.Context, m store.OutboxMessage, now time.Time, class string, attempts int) error {
	o.log.Error("mail given up", "id", m.ID, "kind", m.Kind, "attempts", attempts, "error", class)
	return o.record(ctx, m, "failed", func(ctx context.Context) error {
		return o.st.MarkOutboxFailed(ctx, m.ID, now, class)
	})
}

// record stores a result with do and logs a failure to. A sent message
// that could not be marked will be sent again: a duplicate beats a loss.
func (o *Outbox) record(ctx context.Context, m store.OutboxMessage, as string, do func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, markTimeout)
	defer cancel()
	err := do(ctx)
	if err != nil {
		o.log.Error("outbox: cannot record result", "id", m.ID, "kind", m.Kind, "as", as, "error", err)
	}
	return err
}

// errorClass returns the loggable class of a transport error. An error
// that is not a *DeliveryError may hold anything, so its text is not used.
func errorClass(err error) (class string, permanent bool) {
	var de *DeliveryError
	switch {
	case errors.As(err, &de):
		return de.Class, de.Permanent
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "transport: canceled or timed out", false
	}
	return "transport: send failed", false
}

// backoff returns how long to wait before attempt number attempts+1, given
// r uniform in [0,1): 30s, 1m, 2m, 4m… capped at 1h, then ±20%.
func backoff(attempts int, r float64) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	d = min(d, maxRetry)
	return time.Duration(float64(d) * (1 - jitter + 2*jitter*r))
}
