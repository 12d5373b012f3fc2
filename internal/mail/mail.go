// Package mail writes and delivers the few emails a signer receives: the
// confirmation request and the "already signed" notice. Mail is queued in the
// database outbox, sealed, and sent by the Outbox worker through a Transport
// (SMTP, or .eml files when no SMTP server is configured).
//
// The mails are discreet: a signer list is a target list, and a mail that
// names the campaign in a watched inbox is itself a risk. Subjects and sender
// names never carry campaign words, bodies name the petition only when the
// organizer asks for it, and nothing is loaded from elsewhere. Nothing in
// this package logs an address, a token or a name.
package mail

import (
	"context"
	"fmt"
	"strings"
)

// Message is one email ready to send.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Transport delivers a message. Its errors should be *DeliveryError so the
// outbox can log and store them without personal data.
type Transport interface {
	Send(ctx context.Context, m Message) error
}

// DeliveryError is the error transports return. Class is a short
// description of what went wrong ("smtp: connection refused") that is safe
// to log and to store: it never holds an address, a token or text the mail
// server sent back, which often repeats the recipient.
type DeliveryError struct {
	Class string
	// Permanent means that retrying the same message cannot succeed, for
	// example when the server rejected the recipient for good.
	Permanent bool
}

// Error returns the class.
func (e *DeliveryError) Error() string { return e.Class }

// campaignWords are fragments that must never appear in a subject or a
// sender name, in the languages the campaign is likely to be read in: seen
// in a watched inbox's list of mails, they would mark the reader.
var campaignWords = []string{
	"cambod", "camboya", "kambodscha", "kampuchea", "khmer", "កម្ពុជា", "กัมพูชา",
	"sanction", "petition", "pétition", "petición", "prisoner", "prisonnier",
	"hun sen", "hun manet",
}

// checkNeutral returns an error naming what if s contains a campaign word.
func checkNeutral(what, s string) error {
	lower := strings.ToLower(s)
	for _, w := range campaignWords {
		if strings.Contains(lower, w) {
			return fmt.Errorf("mail: %s %q contains %q; mail must not reveal the campaign to someone glancing at an inbox", what, s, w)
		}
	}
	return nil
}
