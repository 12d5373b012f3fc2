package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// DashboardPage lists the petitions with their exact figures by status
// (organizers see exact numbers; the public sees suppressed ones).
type DashboardPage struct {
	Base
	Petitions []DashboardRow
}

// DashboardRow is one petition's line on the dashboard.
type DashboardRow struct {
	Slug, Title, Status string
	Featured            bool
	ByStatus            map[string]int64
	Goal                int
}

func (s *Server) handleAdminDashboard(c *gin.Context) {
	rows, err := s.Console.CountSignatures(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	by := map[int64]map[string]int64{}
	for _, r := range rows {
		if by[r.PetitionID] == nil {
			by[r.PetitionID] = map[string]int64{}
		}
		by[r.PetitionID][r.Status] += r.N
	}
	page := DashboardPage{Base: s.adminBase(c, "admin.dashboard.title")}
	for _, p := range s.Petitions.All() {
		counts := by[p.ID]
		if counts == nil {
			counts = map[string]int64{}
		}
		page.Petitions = append(page.Petitions, DashboardRow{Slug: p.Slug, Title: p.Title, Status: p.Status,
			Featured: p.Featured, ByStatus: counts, Goal: p.Goal})
	}
	s.render(c, http.StatusOK, "admin_dashboard", page)
}

// statuses lists the signature statuses in display order.
func statuses() []string {
	return []string{store.StatusConfirmed, store.StatusPending, store.StatusWithdrawn, store.StatusInvalidated}
}
