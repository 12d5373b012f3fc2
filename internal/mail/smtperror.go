package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"syscall"

	gomail "github.com/wneessen/go-mail"
)

// smtpErrorClass turns an error from go-mail into a short class that is
// safe to log and store, and reports whether retrying cannot help. The
// error's own text is never used: go-mail lists the affected recipients in
// it, and servers often repeat the address in their replies.
func smtpErrorClass(err error) (class string, permanent bool) {
	var (
		sendErr *gomail.SendError
		dnsErr  *net.DNSError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &sendErr):
		return sendErrorClass(sendErr)
	case strings.Contains(err.Error(), "SMTP AUTH failed"):
		return "smtp: authentication failed" + replyCode(err), false
	case strings.Contains(err.Error(), "does not support STARTTLS"):
		return "smtp: server does not offer STARTTLS", false
	case strings.Contains(err.Error(), "does not support SMTP AUTH"),
		errors.Is(err, gomail.ErrNoSupportedAuthDiscovered):
		return "smtp: server offers no usable authentication", false
	case isTLSError(err):
		return "smtp: TLS failed", false
	case errors.Is(err, syscall.ECONNREFUSED):
		return "smtp: connection refused", false
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return "smtp: connection lost", false
	case errors.Is(err, context.Canceled):
		return "smtp: canceled", false
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "smtp: timeout", false
	case errors.As(err, &dnsErr):
		return "smtp: host not found", false
	case errors.As(err, &netErr):
		return "smtp: network error", false
	}
	return "smtp: send failed" + replyCode(err), false
}

// sendErrorClass names the SMTP step that failed and the server's reply
// codes. Only a recipient refused with a 5xx code is permanent: a refused
// sender or message usually means a configuration the organizer can fix.
func sendErrorClass(e *gomail.SendError) (string, bool) {
	step := map[gomail.SendErrReason]string{
		gomail.ErrGetSender:     "invalid sender",
		gomail.ErrGetRcpts:      "invalid recipient",
		gomail.ErrSMTPMailFrom:  "sender refused",
		gomail.ErrSMTPRcptTo:    "recipient refused",
		gomail.ErrSMTPData:      "message refused",
		gomail.ErrSMTPDataClose: "message refused",
		gomail.ErrWriteContent:  "message not transmitted",
		gomail.ErrSMTPReset:     "reset failed",
		gomail.ErrConnCheck:     "connection check failed",
		gomail.ErrNoUnencoded:   "server refuses 8-bit mail",
	}[e.Reason]
	if step == "" {
		step = "send failed"
	}
	class := "smtp: " + step
	if code := e.ErrorCode(); code != 0 {
		class += fmt.Sprintf(" (%d", code)
		if esc := e.EnhancedStatusCode(); esc != "" {
			class += " " + esc
		}
		class += ")"
	}
	permanent := e.Reason == gomail.ErrGetRcpts ||
		(e.Reason == gomail.ErrSMTPRcptTo && e.ErrorCode() >= 500)
	return class, permanent
}

// replyCode returns " (NNN)" for an error carrying an SMTP reply code.
func replyCode(err error) string {
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) {
		return fmt.Sprintf(" (%d)", tpErr.Code)
	}
	return ""
}

func isTLSError(err error) bool {
	var (
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidCert x509.CertificateInvalidError
	)
	return errors.As(err, &verifyErr) || errors.As(err, &recordErr) || errors.As(err, &alertErr) ||
		errors.As(err, &unknownCA) || errors.As(err, &hostnameErr) || errors.As(err, &invalidCert) ||
		strings.Contains(err.Error(), "tls: ")
}
