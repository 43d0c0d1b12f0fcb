package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// handoffDoors serves one hand-off door per installation id, all over one
// SQLite store, each behind adminKey; nothing delivers, so what a start
// stored stays as it is.
func handoffDoors(t *testing.T, installations ...string) []string {
	t.Helper()
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "planbridge.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ob, err := outbox.New(outbox.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := handoff.New(handoff.Options{Store: st, Outbox: ob, PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	var bases []string
	for _, id := range installations {
		inst := store.HandoffInstallation{ID: id, Endpoint: "https://acme.planfix.com/webchat/api", PlanfixToken: "pf-token",
			ProviderID: "prov", WebhookURL: "https://bot.example/hook", WebhookSecret: "hook-secret-0123456789", UpdatedAt: time.Now()}
		if err := st.Write(ctx, func(tx store.Tx) error { return tx.PutHandoffInstallation(ctx, inst) }); err != nil {
			t.Fatal(err)
		}
		srv, err := httpapi.New(httpapi.Config{APIKeys: httpapi.ParseAPIKeys(adminKey),
			Doors: []httpapi.Door{httpapi.HandoffDoor(httpapi.HandoffOptions{Engine: eng, Installation: inst})}})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		bases = append(bases, hs.URL)
	}
	return bases
}

// startBody is a start with the session id given (none when empty).
func startBody(sessionID string) string {
	b, _ := json.Marshal(httpapi.HandoffStart{SessionID: sessionID, User: httpapi.HandoffUser{ID: "u-1", Email: "ann@acme.test"}, Title: "Refund"})
	return string(b)
}

func decodeSession(t *testing.T, a roundtrip.Answer) httpapi.HandoffSession {
	t.Helper()
	var s httpapi.HandoffSession
	if err := json.Unmarshal([]byte(a.Body), &s); err != nil || s.SessionID == "" || s.ChatID == "" {
		t.Fatalf("answer is not a session (%v): %d %s", err, a.Status, a.Body)
	}
	return s
}

// TestHandoffChosenSessionID: a caller's session id names the session in
// every route, and a second start with it is refused, open or stopped,
// saying what to do; without one the id is generated as before.
func TestHandoffChosenSessionID(t *testing.T) {
	t.Parallel()
	base := handoffDoors(t, "inst-a")[0]
	const ct = "application/json"
	a := adminDo(t, base, http.MethodPost, "/v1/handoffs", ct, startBody("conv_42.a:b-c"))
	if a.Status != http.StatusCreated {
		t.Fatalf("start = %d %s, want 201", a.Status, a.Body)
	}
	started := decodeSession(t, a)
	if started.SessionID != "conv_42.a:b-c" || !strings.HasPrefix(started.ChatID, "pb-") || strings.Contains(started.ChatID, "conv") {
		t.Errorf("start = %+v, want the chosen session id and a pb- chat id that does not carry it", started)
	}
	if a := adminDo(t, base, http.MethodGet, "/v1/handoffs/conv_42.a:b-c", "", ""); a.Status != http.StatusOK || decodeSession(t, a).ChatID != started.ChatID {
		t.Errorf("get = %d %s, want the started session", a.Status, a.Body)
	}
	if a := adminDo(t, base, http.MethodPost, "/v1/handoffs/conv_42.a:b-c/messages", ct, `{"text":"hi"}`); a.Status != http.StatusAccepted {
		t.Errorf("message = %d %s, want 202", a.Status, a.Body)
	}
	again := adminDo(t, base, http.MethodPost, "/v1/handoffs", ct, startBody("conv_42.a:b-c"))
	if e := adminError(t, again); again.Status != http.StatusBadRequest || e.Code != actions.CodeInvalidInput ||
		!strings.Contains(e.Message, `"conv_42.a:b-c" already exists (open)`) || !strings.Contains(e.Message, "GET /v1/handoffs/conv_42.a:b-c") {
		t.Errorf("second start = %d %+v, want invalid_input naming the open session and how to read it", again.Status, e)
	}
	if a := adminDo(t, base, http.MethodPost, "/v1/handoffs/conv_42.a:b-c/stop", ct, `{}`); a.Status != http.StatusOK {
		t.Fatalf("stop = %d %s", a.Status, a.Body)
	}
	again = adminDo(t, base, http.MethodPost, "/v1/handoffs", ct, startBody("conv_42.a:b-c"))
	if e := adminError(t, again); again.Status != http.StatusBadRequest || !strings.Contains(e.Message, "already exists (stopped)") {
		t.Errorf("start after the stop = %d %+v, want invalid_input naming the stopped session", again.Status, e)
	}
	gen := adminDo(t, base, http.MethodPost, "/v1/handoffs", ct, startBody(""))
	if s := decodeSession(t, gen); gen.Status != http.StatusCreated || !strings.HasPrefix(s.SessionID, "hs_") {
		t.Errorf("start without sessionId = %d %+v, want a generated hs_ id", gen.Status, s)
	}
}

// TestHandoffSessionIDRefused: an id that could not stand in a URL path as
// is, or is too long, is refused with the rule, and nothing is stored.
func TestHandoffSessionIDRefused(t *testing.T) {
	t.Parallel()
	base := handoffDoors(t, "inst-a")[0]
	ok := strings.Repeat("a", 64)
	if a := adminDo(t, base, http.MethodPost, "/v1/handoffs", "application/json", startBody(ok)); a.Status != http.StatusCreated {
		t.Errorf("a 64-character id: %d %s, want 201", a.Status, a.Body)
	}
	for _, id := range []string{ok + "a", "a/b", "a b", "-a", ".a", "ä", "a?b", "a%2Fb", "a\x00"} {
		a := adminDo(t, base, http.MethodPost, "/v1/handoffs", "application/json", startBody(id))
		e := adminError(t, a)
		if a.Status != http.StatusBadRequest || e.Code != actions.CodeInvalidInput || !strings.Contains(e.Message, `"sessionId"`) {
			t.Errorf("sessionId %q: %d %+v, want invalid_input about sessionId", id, a.Status, e)
		}
	}
	if a := adminDo(t, base, http.MethodGet, "/v1/handoffs/a%20b", "", ""); a.Status != http.StatusNotFound {
		t.Errorf("a refused id was stored: %d %s", a.Status, a.Body)
	}
}

// TestHandoffChosenSessionIDRace: starts racing with one id open one
// session (one Planfix task), the others are told it exists; the same id
// under another installation is another session.
func TestHandoffChosenSessionIDRace(t *testing.T) {
	t.Parallel()
	bases := handoffDoors(t, "inst-a", "inst-b")
	const n = 8
	codes := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, bases[0]+"/v1/handoffs", strings.NewReader(startBody("same")))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+adminKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				bodies[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			codes[i], bodies[i] = resp.StatusCode, string(b)
		})
	}
	wg.Wait()
	created := 0
	for i := range n {
		switch {
		case codes[i] == http.StatusCreated:
			created++
		case codes[i] != http.StatusBadRequest || !strings.Contains(bodies[i], "already exists"):
			t.Errorf("racing start %d = %d %s, want 201 or the session exists", i, codes[i], bodies[i])
		}
	}
	if created != 1 {
		t.Errorf("%d racing starts with one session id were created, want 1", created)
	}
	a := adminDo(t, bases[0], http.MethodGet, "/v1/handoffs/same", "", "")
	b := adminDo(t, bases[1], http.MethodPost, "/v1/handoffs", "application/json", startBody("same"))
	if b.Status != http.StatusCreated || decodeSession(t, b).ChatID == decodeSession(t, a).ChatID {
		t.Errorf("the same id under another installation = %d %s, want a session of its own (not chat %s)", b.Status, b.Body, decodeSession(t, a).ChatID)
	}
}
