package mail

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// File is the transport used when no SMTP server is configured: it writes
// each message as a complete RFC 5322 .eml file, which any mail program
// opens, and logs only the file's name.
type File struct {
	dir  string
	from sender
	log  *slog.Logger
}

// NewFile writes messages under dir, which it creates (0700) if needed.
// from is the sender, "Name <addr>".
func NewFile(dir, from string, log *slog.Logger) (*File, error) {
	snd, err := parseSender(from)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: outbox directory: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	return &File{dir: dir, from: snd, log: log}, nil
}

// Send writes m to a new file named like 20260301T120000Z-<random>.eml,
// readable by its owner only. The file is complete once it has that name:
// it is written under a temporary name, synced, then renamed.
func (f *File) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return &DeliveryError{Class: "file: canceled"}
	}
	msg, err := f.from.build(m)
	if err != nil {
		return err
	}
	name := time.Now().UTC().Format("20060102T150405Z") + "-" + rand.Text()[:12] + ".eml"
	tmp, err := os.CreateTemp(f.dir, ".writing-*")
	if err != nil {
		return &DeliveryError{Class: "file: cannot create"}
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	// CreateTemp already uses 0600; Chmod guards against a changed default.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return &DeliveryError{Class: "file: cannot write"}
	}
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return &DeliveryError{Class: "file: cannot write"}
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return &DeliveryError{Class: "file: cannot write"}
	}
	if err := tmp.Close(); err != nil {
		return &DeliveryError{Class: "file: cannot write"}
	}
	if err := os.Rename(tmp.Name(), filepath.Join(f.dir, name)); err != nil {
		return &DeliveryError{Class: "file: cannot write"}
	}
	f.log.Info("mail written to file", "file", name)
	return nil
}
