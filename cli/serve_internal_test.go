package cli

import (
	"testing"
	"time"
)

// TestWriteTimeoutOutlastsTheBotpressBound keeps the server's write
// deadline past the Botpress operation bound, so a slow operation's
// timeout answer is written instead of the connection being cut.
func TestWriteTimeoutOutlastsTheBotpressBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bound, want time.Duration
	}{
		{50 * time.Second, defaultWriteTimeout},
		{300 * time.Millisecond, defaultWriteTimeout},
		{5 * time.Minute, 5*time.Minute + 10*time.Second},
		{0, 0}, // no bound: no write deadline either
	}
	for _, tt := range tests {
		if got := writeTimeout(tt.bound); got != tt.want {
			t.Errorf("writeTimeout(%s) = %s, want %s", tt.bound, got, tt.want)
		}
	}
}
