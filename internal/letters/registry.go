package letters

import (
	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
)

// euMemberCodes returns the codes of the EU member states in reg: their
// residents count in the EU's letter too.
func euMemberCodes(reg *jurisdiction.Registry) map[string]bool {
	out := map[string]bool{}
	for _, j := range reg.EUMembers() {
		out[j.Code] = true
	}
	return out
}
