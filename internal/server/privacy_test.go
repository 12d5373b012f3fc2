package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/server"
	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// TestPrivacyPageStatesEveryRetention: each period the product applies is
// stated, with the value that applies it.
func TestPrivacyPageStatesEveryRetention(t *testing.T) {
	afterClose := func(d time.Duration) envOption {
		return func(o *server.Options) { o.RetentionAfterClose = d }
	}
	tagDays := int(signing.TagRetention.Hours() / 24)
	sessions := []any{int(auth.AbsoluteTimeout.Hours()), int(auth.IdleTimeout.Minutes())}
	for _, tt := range []struct {
		name       string
		env        func(t *testing.T) *env
		closeDays  int
		emailLinks bool
	}{
		{"verify none", func(t *testing.T) *env { return newEnv(t, afterClose(180*24*time.Hour)) }, 180, false},
		{"verify email", func(t *testing.T) *env { return newEmailEnv(t, afterClose(90*24*time.Hour)) }, 90, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.env(t)
			body := e.get("/privacy").Body.String()
			mustContain(t, body, e.msg("privacy.retention_email", 30))
			mustContain(t, body, e.msg("privacy.retention_closed", tt.closeDays))
			mustContain(t, body, e.msg("privacy.retention_tag_days", tagDays))
			mustContain(t, body, e.msg("privacy.retention_sessions", sessions...))
			mustContain(t, body, e.msg("privacy.public_protection"))
			if got := strings.Contains(body, e.msg("privacy.retention_mail")); got != tt.emailLinks {
				t.Errorf("page states how long confirmation mail is kept: %v, want %v", got, tt.emailLinks)
			}
		})
	}
}
