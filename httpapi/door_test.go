package httpapi_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/httpapi"
)

// TestBotpressDoorHealthExemptionIsOnlyHealth proves that the open health
// probe under the Botpress door cannot carry an operation past the shared
// secret: a GET …/health that names an x-bp-operation must be checked like
// any other operation.
func TestBotpressDoorHealthExemptionIsOnlyHealth(t *testing.T) {
	t.Parallel()
	const secret = "door-secret-0123456789"
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	rest, err := httpapi.REST(httpapi.RESTOptions{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{Doors: []httpapi.Door{rest,
		httpapi.BotpressDoor("planhat", botpress.NewHandler(botpress.UnimplementedIntegration{}, botpress.HandlerOptions{}), secret)}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	operation := func(op string) http.Header {
		return http.Header{
			"X-Bp-Operation":          {op},
			"X-Bot-Id":                {"bot_1"},
			"X-Bot-User-Id":           {"user_1"},
			"X-Integration-Id":        {"int_1"},
			"X-Integration-Alias":     {"planhat"},
			"X-Webhook-Id":            {"wh_1"},
			"X-Bp-Configuration":      {base64.StdEncoding.EncodeToString([]byte(`{"apiToken":"t"}`))},
			"X-Bp-Configuration-Type": {""},
		}
	}
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		want   int
	}{
		{"plain probe stays open", http.MethodGet, "/botpress/planhat/health", nil, http.StatusOK},
		{"ping smuggled in a probe", http.MethodGet, "/botpress/planhat/health", operation("ping"), http.StatusUnauthorized},
		{"register smuggled in a probe", http.MethodGet, "/botpress/planhat/anything/health", operation("register"), http.StatusUnauthorized},
		{"unregister smuggled in a probe", http.MethodGet, "/botpress/planhat/health", operation("unregister"), http.StatusUnauthorized},
		{"operation with the secret", http.MethodGet, "/botpress/planhat/" + secret + "/health", operation("ping"), http.StatusOK},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), tt.method, hs.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tt.header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %s %s = %d %s, want %d", tt.name, tt.method, tt.path, resp.StatusCode, strings.TrimSpace(string(body)), tt.want)
		}
	}
}
