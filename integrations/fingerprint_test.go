package integrations

import (
	"testing"

	"github.com/planbridge/planbridge/planhat"
)

// TestBudgetFingerprintMatchesLogs keeps the token label of the budget metrics equal to the
// fingerprint logs and the other metrics use, so an operator can follow one token across them.
func TestBudgetFingerprintMatchesLogs(t *testing.T) {
	lim, release := planhat.NewLimiters(planhat.RateLimit{}).Acquire("some-token", "https://api.planhat.com")
	defer release()
	if got, want := lim.Fingerprint(), TokenFingerprint("some-token"); got != want {
		t.Errorf("limiter fingerprint %q, want %q", got, want)
	}
}
