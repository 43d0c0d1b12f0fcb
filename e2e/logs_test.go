package e2e_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/internal/syncbuffer"
)

// TestLogsCarryRequestIDsAndNoSecrets runs every kind of traffic with debug
// logging and checks that no token, secret or key reaches the log, while
// every access line has a request id.
func TestLogsCarryRequestIDsAndNoSecrets(t *testing.T) {
	t.Parallel()
	var logs syncbuffer.Buffer
	s := newStack(t, withLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	companyID := s.firstID(t, "companies")

	if _, err := s.bp.Register(t.Context(), "", s.config); err != nil {
		t.Fatal(err)
	}
	if _, err := s.bp.Register(t.Context(), "", s.configWith(map[string]any{"apiToken": "wrong-token-value-123"})); err != nil {
		t.Fatal(err)
	}
	s.output(t, "getCompany", map[string]any{"id": companyID})
	s.action(t, "getCompany", map[string]any{"id": "extid-missing"})
	s.planhat.FailNext(5, 503)
	s.action(t, "getCompany", map[string]any{"id": companyID})
	s.planhat.FailNext(0, 0)
	s.postWebhook(t, "/"+webhookSecret+"/company/updated", nil, `{"_id":"x"}`)
	s.postWebhook(t, "/wrong-secret-value-456/company/updated", nil, `{"_id":"x"}`)
	roundtrip.Do(t, http.MethodPost, s.url+"/v1/actions/getCompany", "application/json", `{"id":"`+companyID+`"}`,
		http.Header{"Authorization": {"Bearer " + apiKey}})

	out := logs.String()
	for name, secret := range map[string]string{
		"planhat token": s.planhat.Token, "wrong token": "wrong-token-value-123", "tenant token": s.planhat.Tenant,
		"webhook secret": webhookSecret, "wrong webhook secret": "wrong-secret-value-456", "door secret": doorSecret,
		"api key": apiKey, "botpress token": s.bp.Token,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
	requests := 0
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, `"msg":"request"`) {
			requests++
			if !strings.Contains(line, `"request_id":"`) || !strings.Contains(line, `"route":"`) {
				t.Errorf("access line lacks request_id or route: %s", line)
			}
		}
	}
	if requests < 8 {
		t.Errorf("only %d access lines logged", requests)
	}
}

// TestBotpressFailureSharesTheRequestID checks that a refused Botpress
// operation is logged under the same request_id as its access line, with
// the err_… id the bot builder sees beside it, so an operator can go from
// the error Botpress shows to the whole request.
func TestBotpressFailureSharesTheRequestID(t *testing.T) {
	t.Parallel()
	var logs syncbuffer.Buffer
	s := newStack(t, withLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	s.action(t, "getCompany", map[string]any{"id": "extid-missing"})

	type line struct {
		Msg       string `json:"msg"`
		RequestID string `json:"request_id"`
		ErrorID   string `json:"error_id"`
		Route     string `json:"route"`
	}
	var refused, access []line
	for raw := range strings.SplitSeq(logs.String(), "\n") {
		var l line
		if json.Unmarshal([]byte(raw), &l) != nil {
			continue
		}
		switch {
		case l.Msg == "botpress: operation refused":
			refused = append(refused, l)
		case l.Msg == "request" && strings.Contains(l.Route, "/botpress/planhat"):
			access = append(access, l)
		}
	}
	if len(refused) != 1 || len(access) != 1 {
		t.Fatalf("want one refusal and one access line, got %d and %d:\n%s", len(refused), len(access), logs.String())
	}
	if refused[0].RequestID == "" || refused[0].RequestID != access[0].RequestID {
		t.Errorf("refusal logged under request_id %q, access line under %q", refused[0].RequestID, access[0].RequestID)
	}
	if !strings.HasPrefix(refused[0].ErrorID, "err_") {
		t.Errorf("refusal error_id = %q, want Botpress's err_ id", refused[0].ErrorID)
	}
}
