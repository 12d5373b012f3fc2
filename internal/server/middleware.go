package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

const requestIDKey = "request_id"

// requestID gives every request an id that appears in logs and on error
// pages, so a user's report can be matched to a log line without any
// personal data.
func (s *Server) requestID(c *gin.Context) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func requestIDOf(c *gin.Context) string { return c.GetString(requestIDKey) }

// logRequests logs the route pattern, never the raw path or query (which
// may carry tokens) and never the client address.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.Metrics.Request(route, c.Request.Method, c.Writer.Status(), time.Since(start))
	s.Logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
		slog.String("request_id", requestIDOf(c)),
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", c.Writer.Status()),
		slog.Int("bytes", c.Writer.Size()),
		slog.Duration("duration", time.Since(start)),
	)
}

// recoverPanic turns a panic into the generic error page and logs the
// stack with the request id.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			s.Logger.Error("panic", "request_id", requestIDOf(c), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				s.renderError(c, http.StatusInternalServerError, "error.internal")
			}
			c.Abort()
		}
	}()
	c.Next()
}

// contentSecurityPolicy allows only this origin: no inline script or style
// (elements or attributes), no third-party anything, and no framing.
//
// frame-ancestors is 'none' on every response, as X-Frame-Options DENY is,
// except the signing widget's (isEmbed): those get frame-ancestors 'self'
// and Options.EmbedOrigins (Server.framePolicy), and no X-Frame-Options,
// which cannot name origins.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// permissionsPolicy denies every powerful feature: the site uses none.
// Each name is one Chromium recognises (an unknown name makes it log an
// error on every page, which the browser test reports).
const permissionsPolicy = "accelerometer=(), autoplay=(), browsing-topics=(), camera=(), " +
	"display-capture=(), encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), hid=(), " +
	"idle-detection=(), interest-cohort=(), local-fonts=(), magnetometer=(), microphone=(), midi=(), " +
	"otp-credentials=(), payment=(), picture-in-picture=(), publickey-credentials-get=(), " +
	"screen-wake-lock=(), serial=(), sync-xhr=(), usb=(), window-management=(), xr-spatial-tracking=()"

func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	if isEmbed(c) {
		h.Set("Content-Security-Policy", s.framePolicy)
	} else {
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", permissionsPolicy)
	if s.secure {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	c.Next()
}

// limitBody refuses bodies larger than MaxBodyBytes with 413: at once when
// the length is declared, while reading otherwise.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.Body == nil || c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	if c.Request.ContentLength > s.MaxBodyBytes {
		s.renderError(c, http.StatusRequestEntityTooLarge, "error.too_large")
		c.Abort()
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.MaxBodyBytes)
	c.Next()
}

// requireContentType accepts the two encodings the sign endpoint speaks.
func (s *Server) requireContentType(c *gin.Context) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != "application/x-www-form-urlencoded" && mt != "application/json") {
		s.renderError(c, http.StatusUnsupportedMediaType, "error.content_type")
		c.Abort()
		return
	}
	c.Next()
}

// limitRate refuses a client that sends more than its share with 429 and
// Retry-After. The bucket key is a keyed hash of the client's network,
// kept only in memory and dropped once the bucket refills.
func (s *Server) limitRate(c *gin.Context) {
	if s.RateLimit == nil {
		c.Next()
		return
	}
	ok, wait := s.RateLimit.Allow(s.Vault.ClientKey(clientAddr(c)))
	if !ok {
		s.Metrics.RateLimited(c.FullPath())
		c.Header("Retry-After", retryAfterSeconds(wait))
		s.renderError(c, http.StatusTooManyRequests, "error.rate_limited")
		c.Abort()
		return
	}
	c.Next()
}

// retryAfterSeconds formats a wait for the Retry-After header: whole
// seconds, at least one.
func retryAfterSeconds(wait time.Duration) string {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return strconv.Itoa(secs)
}
