package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/faults"
	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// TestLogConversationThroughEveryDoor logs one conversation from Botpress
// and continues it over REST: one Planhat conversation with every message
// once, on the company given, and the admin door shows the delivery.
func TestLogConversationThroughEveryDoor(t *testing.T) {
	t.Parallel()
	s := newStack(t, withPlanhat(planhatemu.WithConversationTypes("Chatbot")))
	companyID := s.firstID(t, "companies")
	out := s.output(t, "logConversation", map[string]any{
		"conversationId": "bp-conv-1", "companyId": companyID, "botName": "Helper",
		"messages": []map[string]any{{"id": "m1", "author": "user", "text": "Where is my order?"}, {"id": "m2", "author": "bot", "text": "Looking it up"}},
	})
	if out["accepted"] != 2.0 || out["queued"] != true {
		t.Fatalf("logConversation over Botpress = %v", out)
	}
	body := fmt.Sprintf(`{"conversationId":"bp-conv-1","companyId":%q,"messages":[{"id":"m2","author":"bot","text":"Looking it up"},{"id":"m3","author":"agent","name":"Bob","text":"It ships today"}]}`, companyID)
	rest := roundtrip.Do(t, http.MethodPost, s.url+"/v1/actions/logConversation", "application/json", body, http.Header{"Authorization": {"Bearer " + apiKey}})
	if rest.Status != http.StatusOK || !strings.Contains(rest.Body, `"duplicates":1`) {
		t.Fatalf("logConversation over REST = %d %s", rest.Status, rest.Body)
	}
	s.deliver(t)
	var found []map[string]any
	for _, c := range s.planhat.Objects("conversations") {
		if c["externalId"] == "bot-bp-conv-1" {
			found = append(found, c)
		}
	}
	if len(found) != 1 || found[0]["type"] != "Chatbot" {
		t.Fatalf("%d conversations with externalId bot-bp-conv-1, want 1", len(found))
	}
	desc, _ := found[0]["description"].(string)
	for _, m := range []string{"Where is my order?", "Looking it up", "It ships today", "Bob (agent)"} {
		if strings.Count(desc, m) != 1 {
			t.Errorf("%q appears %d times in the transcript, want once", m, strings.Count(desc, m))
		}
	}

	// The operator sees the delivered items; without the key, nothing.
	resp := roundtrip.Do(t, http.MethodGet, s.url+"/v1/admin/outbox/items?state=completed&kind=planhat.conversation", "", "", http.Header{"Authorization": {"Bearer " + apiKey}})
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if resp.Status != http.StatusOK || json.Unmarshal([]byte(resp.Body), &list) != nil || len(list.Items) == 0 {
		t.Fatalf("admin list = %d %s", resp.Status, resp.Body)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/v1/admin/outbox", nil)
	noKey, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, noKey.Body)
	noKey.Body.Close()
	if noKey.StatusCode != http.StatusUnauthorized {
		t.Fatalf("admin without a key = %d, want 401", noKey.StatusCode)
	}
}

// TestFullOutboxAnswers503WithRetryAfter fills the outbox while Planhat is
// down: the intake refuses with backlog_full and a Retry-After instead of
// filling the disk, on REST and Botpress alike, and accepts again once the
// backlog drains.
func TestFullOutboxAnswers503WithRetryAfter(t *testing.T) {
	t.Parallel()
	s := newStack(t, withPlanhat(planhatemu.WithConversationTypes("Chatbot")), withOutbox(outbox.Options{MaxBacklog: 2}))
	rule, err := s.planhat.AddFault(faults.Spec{Paths: []string{"/conversations"}, Status: 503})
	if err != nil {
		t.Fatal(err)
	}
	companyID := s.firstID(t, "companies")
	body := func(id string) string {
		return fmt.Sprintf(`{"conversationId":%q,"companyId":%q,"messages":[{"author":"user","text":"hello"}]}`, id, companyID)
	}
	auth := http.Header{"Authorization": {"Bearer " + apiKey}}
	for _, id := range []string{"a", "b"} {
		if a := roundtrip.Do(t, http.MethodPost, s.url+"/v1/actions/logConversation", "application/json", body(id), auth); a.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", id, a.Status, a.Body)
		}
	}
	time.Sleep(1100 * time.Millisecond) // the backlog is read at most once a second
	full := roundtrip.Do(t, http.MethodPost, s.url+"/v1/actions/logConversation", "application/json", body("c"), auth)
	if full.Status != http.StatusServiceUnavailable || !strings.Contains(full.Body, `"backlog_full"`) || full.Header.Get("Retry-After") == "" {
		t.Fatalf("third conversation with a full outbox = %d %s (Retry-After %q), want 503 backlog_full with Retry-After", full.Status, full.Body, full.Header.Get("Retry-After"))
	}
	bp := s.action(t, "logConversation", map[string]any{"conversationId": "d", "companyId": companyID, "messages": []map[string]any{{"author": "user", "text": "hi"}}})
	if bp.Status < 500 || !strings.Contains(string(bp.Body), "backlog_full") {
		t.Fatalf("Botpress door with a full outbox = %d %s, want a retryable 5xx saying backlog_full", bp.Status, bp.Body)
	}
	s.planhat.ClearFaults()
	_ = rule
	// Retries back off; the operator's retry makes them due now.
	if a := roundtrip.Do(t, http.MethodPost, s.url+"/v1/admin/outbox/retry", "application/json", `{"all":true}`, auth); a.Status != http.StatusOK {
		t.Fatalf("admin retry: %d %s", a.Status, a.Body)
	}
	s.deliver(t)
	time.Sleep(1100 * time.Millisecond)
	if a := roundtrip.Do(t, http.MethodPost, s.url+"/v1/actions/logConversation", "application/json", body("c"), auth); a.Status != http.StatusOK {
		t.Fatalf("after draining: %d %s", a.Status, a.Body)
	}
}
