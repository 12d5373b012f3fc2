package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// auditPerPage is the length of one page of the audit log.
const auditPerPage = 50

// AuditPage shows the audit log, newest first. It is read-only: the
// console has no route that edits or deletes an entry.
type AuditPage struct {
	Base
	Entries           []AuditRow
	NextURL, FirstURL string // older entries; back to the newest
}

// AuditRow is one audit entry as shown.
type AuditRow struct {
	At, Actor, Action, Target, Detail string
	Rows                              int64
}

func (s *Server) handleAdminAudit(c *gin.Context) {
	before, ok := parseBefore(c.Query("before"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	entries, err := s.Console.FindAudit(c.Request.Context(), before, auditPerPage+1)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := AuditPage{Base: s.adminBase(c, "admin.audit.title")}
	if len(entries) > auditPerPage {
		entries = entries[:auditPerPage]
		page.NextURL = "/admin/audit?before=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	if before > 0 {
		page.FirstURL = "/admin/audit"
	}
	for _, e := range entries {
		page.Entries = append(page.Entries, AuditRow{At: e.At.UTC().Format("2006-01-02 15:04:05 UTC"),
			Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail, Rows: e.RowCount})
	}
	s.render(c, http.StatusOK, "admin_audit", page)
}
