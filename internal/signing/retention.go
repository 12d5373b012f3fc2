package signing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// RetentionStore is what the retention after close needs from the database.
type RetentionStore interface {
	FindPetitions(ctx context.Context) ([]*store.Petition, error)
	ErasePetitionPersonalData(ctx context.Context, petitionID int64) (int64, error)
}

// EraseClosedPetitions applies CAMPAIGN_RETENTION_AFTER_CLOSE: once a
// petition has been closed for retention, the personal data of all its
// signatures is erased. Counts, statuses, keyed email hashes and letter
// digests stay, so its figures and letters still stand. It returns how
// many signatures it erased; petitions already erased cost one read each.
func (s *Service) EraseClosedPetitions(ctx context.Context, st RetentionStore, retention time.Duration) (int64, error) {
	if retention <= 0 {
		// A zero retention would erase a petition the moment it closes,
		// before its letters are out: never by accident.
		return 0, errors.New("signing: retention after close must be positive")
	}
	now := s.now()
	ps, err := st.FindPetitions(ctx)
	if err != nil {
		return 0, fmt.Errorf("find petitions: %w", err)
	}
	var total int64
	for _, p := range ps {
		since, closed := p.ClosedSince(now)
		if !closed || now.Sub(since) < retention {
			continue
		}
		n, err := st.ErasePetitionPersonalData(ctx, p.ID)
		total += n
		if err != nil {
			return total, fmt.Errorf("petition %s: %w", p.Slug, err)
		}
	}
	return total, nil
}
