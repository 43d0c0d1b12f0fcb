package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// TestNewWiresBothDoorsAndMetrics drives each door once and checks that
// the options reach them: the Botpress door's secret and body limit, the
// REST door's keys and action context, and one set of metrics that counts
// the Botpress action and its Planhat call under the token's fingerprint.
func TestNewWiresBothDoorsAndMetrics(t *testing.T) {
	t.Parallel()
	emu := planhattest.NewServer(t, planhatemu.WithSeed(1))
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	const secret, key, maxBody = "door-secret", "api-key", 2048
	h, err := server.New(server.Options{
		Registry: reg,
		Metrics:  httpapi.NewMetrics(),
		Version:  "test",
		Planhat:  integrations.PlanhatOptions{Policy: integrations.HostPolicy{AllowLoopback: true}, Relay: newDurable(t).Relay},
		Botpress: server.Botpress{MaxBodyBytes: maxBody, Secret: secret},
		APIKeys:  httpapi.ParseAPIKeys(key),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)

	cfg, err := json.Marshal(map[string]string{"apiToken": emu.Token, "apiUrl": emu.URL})
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{}
	for k, v := range map[string]string{
		botpress.HeaderOperation: "action_triggered", botpress.HeaderBotID: "b", botpress.HeaderBotUserID: "u",
		botpress.HeaderIntegrationID: "i", botpress.HeaderIntegrationAlias: "planhat", botpress.HeaderWebhookID: "w",
		botpress.HeaderConfiguration: base64.StdEncoding.EncodeToString(cfg),
	} {
		header.Set(k, v)
	}
	id := emu.Objects("companies")[0]["_id"].(string)
	door := hs.URL + "/botpress/planhat/" + secret
	action := `{"type":"getCompany","input":{"id":"` + id + `"}}`
	if a := roundtrip.Do(t, http.MethodPost, door, "application/json", action, header); a.Status != http.StatusOK || !strings.Contains(a.Body, id) {
		t.Errorf("getCompany through the Botpress door = %d %s", a.Status, a.Body)
	}
	if a := roundtrip.Do(t, http.MethodPost, hs.URL+"/botpress/planhat/wrong", "application/json", action, header); a.Status != http.StatusUnauthorized {
		t.Errorf("wrong door secret = %d %s, want 401", a.Status, a.Body)
	}
	huge := `{"type":"getCompany","input":{"id":"` + strings.Repeat("x", maxBody) + `"}}`
	if a := roundtrip.Do(t, http.MethodPost, door, "application/json", huge, header); a.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("body over MaxBodyBytes = %d %s, want 413", a.Status, a.Body)
	}

	rest := hs.URL + "/v1/actions/getCompany"
	if a := roundtrip.Do(t, http.MethodPost, rest, "application/json", `{"id":"`+id+`"}`, nil); a.Status != http.StatusUnauthorized {
		t.Errorf("REST call without a key = %d %s, want 401", a.Status, a.Body)
	}
	bearer := http.Header{"Authorization": {"Bearer " + key}}
	if a := roundtrip.Do(t, http.MethodPost, rest, "application/json", `{"id":"`+id+`"}`, bearer); a.Status != http.StatusServiceUnavailable || !strings.Contains(a.Body, "PLANHAT_TOKEN") {
		t.Errorf("REST call with the action context's error = %d %s, want 503 naming PLANHAT_TOKEN", a.Status, a.Body)
	}

	m := roundtrip.Do(t, http.MethodGet, hs.URL+"/metrics", "", "", nil)
	if m.Status != http.StatusOK {
		t.Fatalf("/metrics = %d %s", m.Status, m.Body)
	}
	for _, want := range []string{
		`planbridge_actions_total{action="getCompany",door="botpress",outcome="ok"} 1`,
		`planbridge_planhat_requests_total{code="200",token="` + integrations.TokenFingerprint(emu.Token) + `"} 1`,
	} {
		if !strings.Contains(m.Body, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestNewNeedsARegistry refuses to build a server with no actions.
func TestNewNeedsARegistry(t *testing.T) {
	t.Parallel()
	if _, err := server.New(server.Options{}); err == nil {
		t.Error("New without a Registry succeeded")
	}
}

// TestNewRefusesUnprovidedNeeds proves the start-up check: an action that
// needs something no door provides stops the server from being built,
// naming the action, instead of failing on its first call.
func TestNewRefusesUnprovidedNeeds(t *testing.T) {
	t.Parallel()
	type in struct {
		X string `json:"x,omitempty" jsonschema:"Anything."`
	}
	const unprovidable = actions.Need(1 << 7)
	odd := actions.NewWith("needsTheMoon", "Needs the Moon", "Needs a dependency no door has.", unprovidable,
		func(context.Context, actions.Deps, in) (in, error) { return in{}, nil })
	reg, err := actions.NewRegistry(odd)
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.New(server.Options{Registry: reg})
	if err == nil || !strings.Contains(err.Error(), "needsTheMoon") {
		t.Fatalf("New with an unprovidable need = %v, want an error naming the action", err)
	}
	planhatOnly, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	// logConversation and the tracking actions need the store's relay.
	if _, err := server.New(server.Options{Registry: planhatOnly}); err == nil || !strings.Contains(err.Error(), "store") {
		t.Fatalf("New with the Planhat actions and no store = %v, want an error asking for a store", err)
	}
	if _, err := server.New(server.Options{Registry: planhatOnly, Planhat: integrations.PlanhatOptions{Relay: newDurable(t).Relay}}); err != nil {
		t.Fatalf("New with the Planhat actions and a store: %v", err)
	}
}

// newDurable is an outbox and relay over a SQLite store of the test's own.
func newDurable(t *testing.T) *server.Durable {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "server.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d, err := server.NewDurable(server.DurableOptions{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
