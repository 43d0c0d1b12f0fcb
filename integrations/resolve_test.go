package integrations

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/internal/closedport"
	"github.com/planbridge/planbridge/planhat"
)

func TestResolveWebhookSecret(t *testing.T) {
	t.Parallel()
	p := newTestPlanhat(t, PlanhatOptions{})
	tests := []struct {
		name   string
		secret string
		ok     bool
	}{
		{"empty: webhooks off", "", true},
		{"16 random characters", "0123456789abcdef", true},
		{"16 spaces", strings.Repeat(" ", 16), false},
		{"tabs and newlines", strings.Repeat("\t\n", 8), false},
		{"short secret padded with spaces", "abc" + strings.Repeat(" ", 13), false},
		{"15 characters", "0123456789abcde", false},
	}
	for _, tt := range tests {
		_, err := p.resolve(PlanhatConfig{APIToken: "t", WebhookSecret: tt.secret})
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%t", tt.name, err, tt.ok)
		}
	}
}

// TestLogsNameHostsOnly configures an operator API URL whose path holds a
// pasted secret, makes the client fail against it, and checks the log
// records (the integration's and the request's) never repeat the path.
func TestLogsNameHostsOnly(t *testing.T) {
	t.Parallel()
	const pasted = "pasted-secret-0123456789"
	addr := closedport.Addr(t) // every call fails to connect
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	apiURL := "http://" + addr + "/" + pasted
	if _, err := NewPlanhat(PlanhatOptions{Registry: newTestPlanhat(t, PlanhatOptions{}).opts.Registry, DefaultAPIURL: "http://" + addr + "/%zz" + pasted}); err == nil || strings.Contains(err.Error(), pasted) {
		t.Errorf("an invalid default URL: err = %v, want an error without its path", err)
	}
	p := newTestPlanhat(t, PlanhatOptions{DefaultAPIURL: apiURL, Logger: logger,
		Retry: &planhat.RetryPolicy{MaxRetries: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
	r, err := p.resolve(PlanhatConfig{APIToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.client(r)
	if err != nil {
		t.Fatal(err)
	}
	pingErr := c.Ping(t.Context())
	if pingErr == nil {
		t.Fatal("a call to a closed port succeeded")
	}
	regErr := p.registerError(&botpress.Request{Logger: logger}, r, pingErr)
	out := buf.String()
	for what, s := range map[string]string{"log": out, "call error": pingErr.Error(), "register error": regErr.Error()} {
		if strings.Contains(s, pasted) {
			t.Errorf("the %s repeats the URL's path:\n%s", what, s)
		}
	}
	if !strings.Contains(out, addr) {
		t.Errorf("the log does not name the host:\n%s", out)
	}
}
