package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/integrations"
)

// TestRegister validates configurations with one authenticated call and
// explains every refusal.
func TestRegister(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	tests := []struct {
		name    string
		config  map[string]any
		wantOK  bool
		mention []string // phrases the message must contain
		calls   int      // requests Planhat must have seen
	}{
		{name: "good token", config: s.config, wantOK: true, calls: 1},
		{name: "wrong token", config: s.configWith(map[string]any{"apiToken": "not-the-token"}),
			mention: []string{"Settings > Private Apps", "Region", "401"}, calls: 1},
		{name: "empty token", config: s.configWith(map[string]any{"apiToken": "  "}),
			mention: []string{"API Token", "is empty", "Settings > Private Apps"}},
		{name: "missing token", config: s.configWith(map[string]any{"apiToken": nil}),
			mention: []string{"API Token", "is empty"}},
		{name: "token with a line break", config: s.configWith(map[string]any{"apiToken": "abc\ndef"}),
			mention: []string{"line breaks"}},
		{name: "bad region", config: s.configWith(map[string]any{"apiUrl": nil, "region": "eu.evil.com"}),
			mention: []string{"not a Planhat region", "app-eu.planhat.com"}},
		{name: "foreign api url", config: s.configWith(map[string]any{"apiUrl": "https://evil.example.com"}),
			mention: []string{"API URL", "not allowed", "Region"}},
		{name: "metadata api url", config: s.configWith(map[string]any{"apiUrl": "http://169.254.169.254/latest"}),
			mention: []string{"not allowed"}},
		{name: "plain http planhat", config: s.configWith(map[string]any{"apiUrl": "http://api.planhat.com"}),
			mention: []string{"must use https"}},
		{name: "tenant not a uuid", config: s.configWith(map[string]any{"tenantToken": "my-tenant"}),
			mention: []string{"Tenant Token", "analytics.planhat.com/analytics/<tenant token>"}},
		{name: "short webhook secret", config: s.configWith(map[string]any{"webhookSecret": "short"}),
			mention: []string{"Webhook Secret", "16 characters"}},
		{name: "http avatar", config: s.configWith(map[string]any{"botAvatarUrl": "http://example.com/a.png"}),
			mention: []string{"Bot Avatar URL", "https://"}},
		{name: "wrong field type", config: s.configWith(map[string]any{"apiToken": 42}),
			mention: []string{"apiToken", "configuration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: each case counts the emulator's requests.
			s.planhat.ResetStats()
			resp, err := s.bp.Register(context.Background(), "", tt.config)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantOK {
				if resp.Status != http.StatusOK || strings.TrimSpace(string(resp.Body)) != "{}" {
					t.Fatalf("register = %d %s, want 200 {}", resp.Status, resp.Body)
				}
			} else {
				e := apiError(t, resp, http.StatusBadRequest, botpress.TypeRuntime)
				for _, m := range tt.mention {
					if !strings.Contains(e.Message, m) {
						t.Errorf("message lacks %q: %s", m, e.Message)
					}
				}
				if tok, _ := tt.config["apiToken"].(string); len(tok) > 3 && strings.Contains(e.Message, tok) {
					t.Errorf("message leaks the token: %s", e.Message)
				}
			}
			if got := s.planhat.Stats().Total; got != tt.calls {
				t.Errorf("Planhat saw %d requests, want %d", got, tt.calls)
			}
		})
	}

	// The good register stored the connection state, without the token.
	st, ok := s.bp.State(botpress.StateIntegration, s.bp.IntegrationID, integrations.PlanhatStateName)
	if !ok {
		t.Fatal("register stored no connection state")
	}
	var state map[string]string
	if err := json.Unmarshal(st.Payload, &state); err != nil {
		t.Fatal(err)
	}
	if state["tokenFingerprint"] != integrations.TokenFingerprint(s.planhat.Token) || state["apiHost"] == "" {
		t.Errorf("state = %v", state)
	}
	if strings.Contains(string(st.Payload), s.planhat.Token) {
		t.Error("state contains the token")
	}
}

// TestRegisterPlanhatErrors covers Planhat's refusals at register time.
func TestRegisterPlanhatErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	tests := []struct {
		status  int
		mention string
	}{
		{http.StatusForbidden, "Private Apps"},
		{http.StatusInternalServerError, "Planhat's side"},
		{http.StatusTooManyRequests, "rate limit"},
	}
	for _, tt := range tests {
		s.planhat.FailNext(10, tt.status)
		resp, err := s.bp.Register(context.Background(), "", s.config)
		s.planhat.FailNext(0, 0)
		if err != nil {
			t.Fatal(err)
		}
		e := apiError(t, resp, http.StatusBadRequest, botpress.TypeRuntime)
		if !strings.Contains(e.Message, tt.mention) {
			t.Errorf("%d: message lacks %q: %s", tt.status, tt.mention, e.Message)
		}
	}
	// Nothing listening: an instructive "could not reach".
	resp, err := s.bp.Register(context.Background(), "", s.configWith(map[string]any{"apiUrl": "http://127.0.0.1:1"}))
	if err != nil {
		t.Fatal(err)
	}
	e := apiError(t, resp, http.StatusBadRequest, botpress.TypeRuntime)
	if !strings.Contains(e.Message, "could not reach Planhat") {
		t.Errorf("unreachable: %s", e.Message)
	}
}

// TestRegisterAppliesBotIdentity checks checklist item 7 does something:
// the configured bot name and avatar land on the bot's Botpress user, and
// register without them leaves the user alone.
func TestRegisterAppliesBotIdentity(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	before, ok := s.bp.User(s.bp.BotUserID)
	if !ok {
		t.Fatal("the emulator has no bot user")
	}
	if resp, err := s.bp.Register(t.Context(), "", s.config); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("register without a bot identity: %v %v", err, resp)
	}
	if u, _ := s.bp.User(s.bp.BotUserID); u.Name != before.Name || u.PictureURL != before.PictureURL {
		t.Errorf("register without a bot identity changed the bot user to %q %q", u.Name, u.PictureURL)
	}
	cfg := s.configWith(map[string]any{"botName": "  Customer Success Bot ", "botAvatarUrl": "https://cdn.example.com/bot.png"})
	resp, err := s.bp.Register(t.Context(), "", cfg)
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("register: %v %v", err, resp)
	}
	u, _ := s.bp.User(s.bp.BotUserID)
	if u.Name != "Customer Success Bot" || u.PictureURL != "https://cdn.example.com/bot.png" {
		t.Errorf("bot user = %q %q, want the configured name and avatar", u.Name, u.PictureURL)
	}
}
