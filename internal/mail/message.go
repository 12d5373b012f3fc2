package mail

import (
	"crypto/rand"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// sender is a parsed, checked From.
type sender struct {
	header string // "Name <addr>" as given
	domain string // the address's domain, for Message-IDs
}

// parseSender checks a "Name <addr>" or bare address and that its name is
// neutral.
func parseSender(from string) (sender, error) {
	a, err := netmail.ParseAddress(from)
	if err != nil {
		return sender{}, fmt.Errorf("mail: sender %q is not an address like \"Name <name@example.org>\"", from)
	}
	if err := checkNeutral("sender name", a.Name); err != nil {
		return sender{}, err
	}
	_, domain, _ := strings.Cut(a.Address, "@")
	return sender{header: a.String(), domain: domain}, nil
}

// build turns m into a go-mail message with a plain-text part and an HTML
// alternative. It sets its own Message-ID and Date rather than go-mail's,
// which would reveal the server's host name and time zone, and omits the
// User-Agent header.
func (s sender) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.header); err != nil {
		return nil, &DeliveryError{Class: "message: invalid sender address", Permanent: true}
	}
	if err := msg.To(m.To); err != nil {
		return nil, &DeliveryError{Class: "message: invalid recipient address", Permanent: true}
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(time.Now().UTC())
	msg.SetMessageIDWithValue(rand.Text() + "@" + s.domain)
	// Asks mail servers not to send out-of-office replies (RFC 3834).
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}
