package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/readcache"
)

// postWebhook plays a Planhat automation posting to the installation's
// Botpress webhook URL (the Botpress emulator relays it as webhook_received).
func (s *stack) postWebhook(t *testing.T, path string, header http.Header, body string) (int, string) {
	t.Helper()
	a := roundtrip.Do(t, http.MethodPost, s.bp.WebhookURL()+path, "application/json", body, header)
	return a.Status, a.Body
}

func TestPlanhatWebhookEvents(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	user := s.bp.AddUser(map[string]string{}, "Ann")
	conv := s.bp.AddConversation("", map[string]string{})
	companyID := s.firstID(t, "companies")

	tests := []struct {
		name     string
		path     string
		header   http.Header
		body     string
		status   int
		event    string
		convID   string
		userID   string
		objectID string
	}{
		{name: "secret in path, model in path", path: "/" + webhookSecret + "/company/updated",
			body: `{"_id":"` + companyID + `","name":"Acme"}`, status: 200, event: "companyUpdated", objectID: companyID},
		{name: "secret in header, model in body", path: "", header: http.Header{"X-Webhook-Secret": {webhookSecret}},
			body:   `{"model":"endUser","action":"created","data":{"_id":"eu1","companyId":"` + companyID + `"},"botpressUserId":"` + user.ID + `"}`,
			status: 200, event: "endUserCreated", userID: user.ID, objectID: "eu1"},
		{name: "conversation linked through externalId", path: "/" + webhookSecret + "/conversation/created",
			body: `{"_id":"cv1","externalId":"` + conv.ID + `"}`, status: 200, event: "conversationCreated", convID: conv.ID, objectID: "cv1"},
		{name: "externalId that is no Botpress conversation", path: "/" + webhookSecret + "/conversation/updated",
			body: `{"_id":"cv2","externalId":"crm-42"}`, status: 200, event: "conversationUpdated", objectID: "cv2"},
		{name: "unknown model is generic", path: "/" + webhookSecret + "/workspace/updated",
			body: `{"_id":"w1"}`, status: 200, event: "planhatEvent", objectID: "w1"},
		{name: "wrong secret", path: "/not-the-secret/company/updated", body: `{}`, status: 401},
		{name: "no secret", path: "/company/updated", body: `{}`, status: 401},
		{name: "not json", path: "/" + webhookSecret + "/company/updated", body: `name=Acme`, status: 400},
		{name: "unknown Botpress user", path: "/" + webhookSecret + "/company/updated",
			body: `{"_id":"x","botpressUserId":"user_missing"}`, status: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.bp.Events())
			status, body := s.postWebhook(t, tt.path, tt.header, tt.body)
			if status != tt.status {
				t.Fatalf("status = %d, want %d: %s", status, tt.status, body)
			}
			events := s.bp.Events()[before:]
			if tt.event == "" {
				if len(events) != 0 {
					t.Errorf("refused webhook emitted %v", events)
				}
				if strings.Contains(body, webhookSecret) {
					t.Error("answer leaks the secret")
				}
				return
			}
			if len(events) != 1 {
				t.Fatalf("emitted %d events, want 1 (%s)", len(events), body)
			}
			ev := events[0]
			if ev.Type != tt.event || ev.ConversationID != tt.convID || ev.UserID != tt.userID {
				t.Errorf("event = %s conv=%q user=%q, want %s conv=%q user=%q", ev.Type, ev.ConversationID, ev.UserID, tt.event, tt.convID, tt.userID)
			}
			var p map[string]any
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p["objectId"] != tt.objectID || p["object"] == nil || p["receivedAt"] == nil {
				t.Errorf("payload = %v", p)
			}
			var answer struct {
				Received int      `json:"received"`
				Events   []string `json:"events"`
			}
			if err := json.Unmarshal([]byte(body), &answer); err != nil || answer.Received != 1 || answer.Events[0] != tt.event {
				t.Errorf("answer = %s", body)
			}
		})
	}

	// The endUser event linked the Botpress user to the Planhat end user.
	u, ok := s.bp.User(user.ID)
	if !ok || u.Tags["endUserId"] != "eu1" || u.Tags["companyId"] != companyID {
		t.Errorf("user tags = %v", u.Tags)
	}
}

// TestWebhookEventCarriesAllIDs checks checklist item 3 end to end: the
// Botpress conversation, user and message a webhook names arrive as the
// event's top-level conversationId, userId and messageId.
func TestWebhookEventCarriesAllIDs(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	user := s.bp.AddUser(map[string]string{}, "Ann")
	conv := s.bp.AddConversation("", map[string]string{})
	msg := s.bp.AddMessage(conv.ID, user.ID, "text", json.RawMessage(`{"text":"renewal?"}`))
	body := `{"_id":"t1","subject":"Renewal","botpress":{"conversationId":"` + conv.ID + `","userId":"` + user.ID + `","messageId":"` + msg.ID + `"}}`
	status, answer := s.postWebhook(t, "/"+webhookSecret+"/ticket/created", nil, body)
	if status != http.StatusOK {
		t.Fatalf("webhook = %d %s", status, answer)
	}
	events := s.bp.EventsOfType("ticketCreated")
	if len(events) != 1 {
		t.Fatalf("ticketCreated events = %d, want 1", len(events))
	}
	if ev := events[0]; ev.ConversationID != conv.ID || ev.UserID != user.ID || ev.MessageID != msg.ID {
		t.Errorf("event ids = conv %q user %q message %q, want %q %q %q", ev.ConversationID, ev.UserID, ev.MessageID, conv.ID, user.ID, msg.ID)
	}
}

func TestWebhookDisabledWithoutSecret(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	resp, err := s.bp.SendWebhook(t.Context(), "", s.configWith(map[string]any{"webhookSecret": nil}),
		botpress.WebhookRequest{Path: "/anything/company/updated", Body: `{}`})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden || !strings.Contains(string(resp.Body), "Webhook Secret") {
		t.Errorf("answer = %d %s", resp.Status, resp.Body)
	}
}

// TestWebhookInvalidatesReadCache follows a Planhat change into the bot through the
// Botpress door: a company read is cached, the record changes in Planhat behind
// planbridge's back, and the automation webhook announcing it makes the next read go to
// Planhat and answer the new value.
func TestWebhookInvalidatesReadCache(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path string
		body       func(id string) string
	}{
		{"model in path", "/" + webhookSecret + "/company/updated", func(id string) string { return `{"_id":"` + id + `"}` }},
		{"model in body", "/" + webhookSecret, func(id string) string {
			return `{"model":"company","action":"updated","data":{"_id":"` + id + `"}}`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, withReadCache(readcache.New(readcache.Options{TTL: time.Hour})))
			id := s.firstID(t, "companies")
			gets := func() int { return s.planhat.Stats().ByRoute["GET /companies/{id}"] }
			name := func() any { return s.output(t, "getCompany", map[string]any{"id": id})["name"] }

			before := name()
			if again := name(); again != before || gets() != 1 {
				t.Fatalf("second read answered %v with %d GETs, want %v from the cache (1 GET)", again, gets(), before)
			}
			if _, err := s.phClient.Companies().Update(t.Context(), planhat.ID(id), planhat.Company{Name: "Renamed in Planhat"}); err != nil {
				t.Fatal(err)
			}
			if stale := name(); stale != before {
				t.Fatalf("before the webhook the cache answered %v, want the cached %v", stale, before)
			}
			if status, body := s.postWebhook(t, tt.path, nil, tt.body(id)); status != http.StatusOK {
				t.Fatalf("webhook answered %d: %s", status, body)
			}
			if got := name(); got != "Renamed in Planhat" {
				t.Errorf("after the webhook getCompany answered %v, want Renamed in Planhat", got)
			}
			if gets() != 2 {
				t.Errorf("the emulator counted %d GETs of the company, want 2 (the first read and the one after the webhook)", gets())
			}
		})
	}
}
