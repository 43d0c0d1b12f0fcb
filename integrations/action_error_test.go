package integrations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/planhat"
)

// TestActionError maps every error class to the Botpress answer the door
// gives: status, type, and whether the classified message is shown.
func TestActionError(t *testing.T) {
	t.Parallel()
	api := func(status int) error {
		return fmt.Errorf("get company: %w", &planhat.APIError{StatusCode: status, Method: "GET", Path: "/companies/x", Message: "nope"})
	}
	tests := []struct {
		name       string
		err        error
		wantStatus int // 0: not a *botpress.Error (the handler's generic 500)
		wantType   string
	}{
		{"input", &actions.InputError{Action: "getCompany", Fields: []actions.FieldError{{Field: "id", Message: "required"}}}, 400, botpress.TypeInvalidPayload},
		{"unknown action", &actions.UnknownActionError{Name: "nope"}, 400, botpress.TypeInvalidPayload},
		{"not found", api(404), 400, botpress.TypeRuntime},
		{"unauthorized", api(401), 400, botpress.TypeRuntime},
		{"forbidden", api(403), 400, botpress.TypeRuntime},
		{"bad request", api(400), 400, botpress.TypeRuntime},
		{"rate limited", api(429), 429, botpress.TypeRateLimited},
		{"server error", api(503), 502, botpress.TypeRuntime},
		{"timeout", context.DeadlineExceeded, 504, botpress.TypeRuntime},
		{"no tenant", planhat.ErrNoTenantToken, 400, botpress.TypeRuntime},
		{"internal", errors.New("nil map somewhere"), 0, ""},
		{"door without a client", &actions.MissingDepsError{Action: "getCompany", Missing: actions.NeedPlanhat}, 400, botpress.TypeRuntime},
		{"panic", &actions.PanicError{Action: "getCompany", Value: "boom"}, 0, ""},
	}
	for _, tt := range tests {
		got := ActionError(actions.Classify(tt.err, &BotpressWording))
		var be *botpress.Error
		if !errors.As(got, &be) {
			if tt.wantStatus != 0 {
				t.Errorf("%s: got %v, want a %d %s", tt.name, got, tt.wantStatus, tt.wantType)
			}
			continue
		}
		if tt.wantStatus == 0 {
			t.Errorf("%s: internal error exposed as %d %s: %s", tt.name, be.Code, be.Type, be.Message)
			continue
		}
		if be.Code != tt.wantStatus || be.Type != tt.wantType || be.Message == "" {
			t.Errorf("%s: got %d %s %q, want %d %s", tt.name, be.Code, be.Type, be.Message, tt.wantStatus, tt.wantType)
		}
	}
	_ = http.StatusOK
}

func TestResolveRegions(t *testing.T) {
	t.Parallel()
	p, err := NewPlanhat(PlanhatOptions{Registry: &actions.Registry{}})
	if err != nil {
		t.Fatal(err)
	}
	for region, want := range map[string]string{
		"":    "https://api.planhat.com",
		"us":  "https://api.planhat.com",
		"EU":  "https://api-eu.planhat.com",
		"eu2": "https://api-eu2.planhat.com",
		"us2": "https://api-us2.planhat.com",
	} {
		r, err := p.resolve(PlanhatConfig{APIToken: "t", Region: region})
		if err != nil || r.apiURL != want || r.analyticsURL != DefaultPlanhatAnalyticsURL {
			t.Errorf("region %q: %v %+v, want %s", region, err, r, want)
		}
	}
	for _, bad := range []string{"eu.evil.com", "e", "eu-2", "../x", "eu2 "} {
		if _, err := p.resolve(PlanhatConfig{APIToken: "t", Region: bad + "x."}); err == nil {
			t.Errorf("region %q accepted", bad)
		}
	}
}
