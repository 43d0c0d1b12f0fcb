package cli

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseCacheTTL(t *testing.T) {
	tests := []struct {
		in       string
		ttl      time.Duration
		perModel map[string]time.Duration
		wantErr  bool
	}{
		{in: "30s", ttl: 30 * time.Second, perModel: map[string]time.Duration{}},
		{in: "", ttl: 30 * time.Second, perModel: map[string]time.Duration{}},
		{in: "1m, companies=2m,Users=5m,tasks=0", ttl: time.Minute,
			perModel: map[string]time.Duration{"companies": 2 * time.Minute, "users": 5 * time.Minute, "tasks": -1}},
		{in: "companies=10s", ttl: 30 * time.Second, perModel: map[string]time.Duration{"companies": 10 * time.Second}},
		{in: "0", ttl: -1, perModel: map[string]time.Duration{}},
		{in: "soon", wantErr: true},
		{in: "30s,45s", wantErr: true},
		{in: "companies=-1s", wantErr: true},
	}
	for _, tt := range tests {
		ttl, perModel, err := parseCacheTTL(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseCacheTTL(%q) err = %v, want error %t", tt.in, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		if diff := cmp.Diff([]any{tt.ttl, tt.perModel}, []any{ttl, perModel}); diff != "" {
			t.Errorf("parseCacheTTL(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
