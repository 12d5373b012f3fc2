package server

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// ExportStore is what the CSV download reads. The console's store offers
// it; it is asked for when a download starts rather than added to
// ConsoleStore, so the console's other tests need not fake it.
type ExportStore = export.Store

// exportWriteTimeout bounds how long one write of a download may wait for
// a slow client. It replaces the server's WriteTimeout, which counts from
// the start of the request and would cut a large download short.
const exportWriteTimeout = time.Minute

// handleAdminExport streams a petition's signatures as CSV, with the same
// options and bytes as 'campaign export'. Emails (profile full) are for
// owners only. Rows go out batch by batch as they are read; the download
// is audited once it ends, also when the client left halfway.
func (s *Server) handleAdminExport(c *gin.Context) {
	p, opts, ok := s.exportRequest(c)
	if !ok {
		return
	}
	st, ok := s.Console.(ExportStore)
	if !ok {
		s.fail(c, errors.New("the console's store cannot export"))
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": export.FileName(p.Slug, s.Now(), opts.Profile)}))
	h.Set("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	ctx := c.Request.Context()
	rows, err := export.NewExporter(st, s.Signing).Export(ctx, newExportWriter(c), p, opts, nil)
	// The client may have gone, which cancels the request's context; the
	// rows it was sent are audited all the same.
	c.Request = c.Request.WithContext(context.WithoutCancel(ctx))
	s.audit(c, "export", p.Slug, opts.AuditDetail(), rows)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		s.Logger.Info("export download ended early: the client went away", "rows", rows, "request_id", requestIDOf(c))
	default:
		s.Logger.Error("export download failed", "rows", rows, "err", err, "request_id", requestIDOf(c))
		abortResponse(c)
	}
}

// exportRequest reads which petition and options a download asks for and
// whether the organizer may have them; when not, it has answered.
func (s *Server) exportRequest(c *gin.Context) (*store.Petition, export.Options, bool) {
	p, err := s.Console.FindPetitionBySlug(c.Request.Context(), c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		s.handleNotFound(c)
		return nil, export.Options{}, false
	}
	if err != nil {
		s.fail(c, err)
		return nil, export.Options{}, false
	}
	opts, key := exportOptions(c)
	if key != "" {
		s.renderError(c, http.StatusUnprocessableEntity, key)
		return nil, export.Options{}, false
	}
	if opts.Profile == export.ProfileFull && !auth.Allows(organizerOf(c).Role, store.RoleOwner) {
		s.renderError(c, http.StatusForbidden, "admin.export.error.full_owner")
		return nil, export.Options{}, false
	}
	return p, opts, true
}

// abortResponse closes the connection of a response already under way.
// The status line is long gone: ending the chunked body without its last
// chunk makes the browser report a failed download rather than save a
// file that looks complete. gin refuses to hijack once a body is written,
// so the connection is taken from the response beneath it. (Over HTTP/2
// nothing can be hijacked and the download just ends.)
func abortResponse(c *gin.Context) {
	var rw http.ResponseWriter = c.Writer
	if u, ok := rw.(interface{ Unwrap() http.ResponseWriter }); ok {
		rw = u.Unwrap()
	}
	if conn, _, err := http.NewResponseController(rw).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// exportOptions reads the download's query; a bad option gives the
// message key that says what the option accepts.
func exportOptions(c *gin.Context) (export.Options, string) {
	var bom bool
	switch c.Query("bom") {
	case "", "0", "false":
	case "1", "true", "on":
		bom = true
	default:
		return export.Options{}, "admin.export.error.bom"
	}
	opts, err := export.ParseOptions(c.Query("profile"), c.Query("status"), c.Query("country"),
		c.Query("since"), c.Query("until"), bom)
	var oe *export.OptionError
	if errors.As(err, &oe) {
		return export.Options{}, "admin.export.error." + oe.Key()
	}
	return opts, ""
}

// exportWriter is the response of a download: each write may take up to
// exportWriteTimeout, and Flush sends what is buffered on to the client.
type exportWriter struct {
	w  gin.ResponseWriter
	rc *http.ResponseController
}

func newExportWriter(c *gin.Context) exportWriter {
	return exportWriter{w: c.Writer, rc: http.NewResponseController(c.Writer)}
}

func (e exportWriter) Write(b []byte) (int, error) {
	// Not every ResponseWriter has deadlines (test recorders do not).
	_ = e.rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout))
	return e.w.Write(b)
}

func (e exportWriter) Flush() error { return e.rc.Flush() }
