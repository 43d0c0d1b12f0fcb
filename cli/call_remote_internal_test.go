package cli

import (
	"testing"

	"github.com/planbridge/planbridge/actions"
)

// TestExitCodeFor pins the exit status of every error class, including
// codes and statuses the end-to-end tests cannot provoke cheaply.
func TestExitCodeFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code      string
		retryable bool
		status    int
		want      int
	}{
		{"invalid_input", false, 400, exitInput},
		{"not_found", false, 404, exitInput},
		{"unknown_action", false, 404, exitInput},
		{"partial_failure", false, 207, exitInput},
		{"malformed_json", false, 400, exitInput},
		{"payload_too_large", false, 413, exitInput},
		{"unauthenticated", false, 401, exitAuth},
		{"unauthorized", false, 502, exitAuth}, // Planhat refused the server's token
		{"forbidden", false, 502, exitAuth},
		{"rate_limited", true, 429, exitUpstream},
		{"upstream_timeout", true, 504, exitUpstream},
		{"upstream_error", true, 502, exitUpstream},
		{"not_configured", false, 503, exitAuth},
		{"invalid_config", false, 400, exitAuth},
		{"internal", false, 500, 5},
		{"canceled", false, 0, exitUpstream},
		{"a_future_code", false, 401, exitAuth},
		{"a_future_code", false, 429, exitUpstream},
		{"a_future_code", false, 503, exitUpstream},
		{"a_future_code", true, 400, exitUpstream},
		{"a_future_code", false, 409, exitInput},
	}
	for _, tt := range tests {
		if got := exitCodeFor(actions.Code(tt.code), tt.retryable, tt.status); got != tt.want {
			t.Errorf("exitCodeFor(%q, %v, %d) = %d, want %d", tt.code, tt.retryable, tt.status, got, tt.want)
		}
	}
}
