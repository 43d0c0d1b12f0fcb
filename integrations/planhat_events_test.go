package integrations

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/botpress"
)

var fixedNow = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

func TestParsePlanhatWebhook(t *testing.T) {
	t.Parallel()
	type emitted struct {
		Type, Model, Action, ObjectID, CompanyID string
		ConversationID, UserID, MessageID        string
		Inferred                                 bool
	}
	tests := []struct {
		name string
		path string
		body string
		want []emitted
	}{
		{
			name: "path names model and action",
			path: "/company/updated",
			body: `{"_id":"c1","name":"Acme"}`,
			want: []emitted{{Type: "companyUpdated", Model: "company", Action: "updated", ObjectID: "c1", CompanyID: "c1"}},
		},
		{
			name: "envelope in body",
			body: `{"model":"End User","action":"Created","data":{"_id":"e1","companyId":"c1"},"botpressUserId":"user_1"}`,
			want: []emitted{{Type: "endUserCreated", Model: "End User", Action: "created", ObjectID: "e1", CompanyID: "c1", UserID: "user_1"}},
		},
		{
			name: "plural and verb synonyms",
			path: "/endusers/delete",
			body: `{"id":"e2"}`,
			want: []emitted{{Type: "endUserDeleted", Model: "endusers", Action: "delete", ObjectID: "e2"}},
		},
		{
			name: "opportunities plural",
			path: "/opportunities/new",
			body: `{"_id":"o1"}`,
			want: []emitted{{Type: "opportunityCreated", Model: "opportunities", Action: "new", ObjectID: "o1"}},
		},
		{
			name: "conversation externalId links the Botpress conversation",
			path: "/conversation/created",
			body: `{"_id":"v1","externalId":"conv_123","companyId":"c9"}`,
			want: []emitted{{Type: "conversationCreated", Model: "conversation", Action: "created", ObjectID: "v1", CompanyID: "c9", ConversationID: "conv_123", Inferred: true}},
		},
		{
			name: "explicit botpress ids win",
			path: "/conversation/updated",
			body: `{"data":{"_id":"v1","externalId":"conv_123"},"botpress":{"conversationId":"conv_x","userId":"user_y","messageId":"msg_z"}}`,
			want: []emitted{{Type: "conversationUpdated", Model: "conversation", Action: "updated", ObjectID: "v1", ConversationID: "conv_x", UserID: "user_y", MessageID: "msg_z"}},
		},
		{
			name: "unknown model is generic",
			path: "/workspace/updated",
			body: `{"_id":"w1"}`,
			want: []emitted{{Type: GenericPlanhatEvent, Model: "workspace", Action: "updated", ObjectID: "w1"}},
		},
		{
			name: "no model at all is generic",
			body: `{"hello":"world"}`,
			want: []emitted{{Type: GenericPlanhatEvent}},
		},
		{
			name: "array body",
			path: "/task/created",
			body: `[{"_id":"t1"},{"_id":"t2"}]`,
			want: []emitted{
				{Type: "taskCreated", Model: "task", Action: "created", ObjectID: "t1"},
				{Type: "taskCreated", Model: "task", Action: "created", ObjectID: "t2"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parsePlanhatWebhook(tt.path, []byte(tt.body), fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			var simple []emitted
			for _, e := range got {
				simple = append(simple, emitted{e.Type, e.Payload.Model, e.Payload.Action, e.Payload.ObjectID, e.Payload.CompanyID,
					e.ConversationID, e.UserID, e.MessageID, e.inferred})
				if e.Payload.ReceivedAt != "2026-11-21T09:00:00Z" || e.Payload.Object == nil {
					t.Errorf("payload lacks receivedAt or object: %+v", e.Payload)
				}
			}
			if diff := cmp.Diff(tt.want, simple); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePlanhatWebhookRefusals(t *testing.T) {
	t.Parallel()
	many := "[" + strings.TrimSuffix(strings.Repeat(`{},`, maxWebhookItems+1), ",") + "]"
	for name, body := range map[string]string{
		"empty":        "  ",
		"not json":     "name=Acme",
		"two values":   `{}{}`,
		"string":       `"x"`,
		"array of num": `[1]`,
		"too many":     many,
	} {
		if _, err := parsePlanhatWebhook("/company/updated", []byte(body), fixedNow); !errors.Is(err, errWebhookBody) {
			t.Errorf("%s: err = %v, want errWebhookBody", name, err)
		}
	}
}

func TestCheckWebhookSecret(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef0123"
	tests := []struct {
		name     string
		req      botpress.WebhookRequest
		wantPath string
		wantOK   bool
	}{
		{"header", botpress.WebhookRequest{Path: "/company/updated", Headers: map[string]string{"x-webhook-secret": secret}}, "/company/updated", true},
		{"path", botpress.WebhookRequest{Path: "/" + secret + "/company/updated"}, "/company/updated", true},
		{"path only secret", botpress.WebhookRequest{Path: "/" + secret}, "/", true},
		{"wrong header", botpress.WebhookRequest{Path: "/" + secret, Headers: map[string]string{"X-Webhook-Secret": "nope"}}, "/" + secret, false},
		{"wrong path", botpress.WebhookRequest{Path: "/company/updated"}, "/updated", false},
		{"missing", botpress.WebhookRequest{}, "/", false},
		{"prefix of secret", botpress.WebhookRequest{Path: "/" + secret[:10]}, "/", false},
	}
	for _, tt := range tests {
		path, ok := checkWebhookSecret(&tt.req, secret)
		if ok != tt.wantOK || (ok && path != tt.wantPath) {
			t.Errorf("%s: got (%q, %v), want (%q, %v)", tt.name, path, ok, tt.wantPath, tt.wantOK)
		}
	}
}

func TestPlanhatEventNames(t *testing.T) {
	t.Parallel()
	names := planhatEventNames()
	if len(names) != 1+3*len(planhatEventModels) {
		t.Fatalf("got %d names", len(names))
	}
	for _, want := range []string{"planhatEvent", "companyUpdated", "endUserCreated", "conversationCreated", "ticketDeleted"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("no event %s in %v", want, names)
		}
	}
}

func TestClientCacheBoundedAndShared(t *testing.T) {
	t.Parallel()
	c := newClientCache[*int](3)
	builds := 0
	var released []string
	get := func(token string) *int {
		v, err := c.get(cacheKey(token, "https://api.planhat.com"), func() (*int, func(), error) {
			builds++
			n := builds
			return &n, func() { released = append(released, token) }, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a1, a2 := get("a"), get("a")
	if a1 != a2 || builds != 1 {
		t.Fatalf("same token built twice (builds=%d)", builds)
	}
	get("b")
	get("c")
	get("a") // refresh a; b is now the least recently used
	get("d") // evicts b
	if c.len() != 3 {
		t.Errorf("len = %d, want 3", c.len())
	}
	if diff := cmp.Diff([]string{"b"}, released); diff != "" {
		t.Errorf("released on eviction (-want +got):\n%s", diff)
	}
	before := builds
	get("a")
	get("c")
	get("d")
	if builds != before {
		t.Errorf("a, c or d was evicted")
	}
	get("b")
	if builds != before+1 {
		t.Errorf("b was not evicted")
	}
	if cacheKey("ab", "c") == cacheKey("a", "bc") {
		t.Error("cache keys collide across part boundaries")
	}
	_, err := c.get(cacheKey("bad"), func() (*int, func(), error) { return nil, nil, fmt.Errorf("boom") })
	if err == nil || c.len() != 3 {
		t.Errorf("failed builds must not be cached (err=%v, len=%d)", err, c.len())
	}
}

func TestTokenFingerprint(t *testing.T) {
	t.Parallel()
	fp := TokenFingerprint("secret-token")
	if len(fp) != 12 || strings.Contains(fp, "secret") || fp == TokenFingerprint("secret-tokem") {
		t.Errorf("fingerprint %q", fp)
	}
}

// TestWebhookSecretInHeaderAndPath proves that a secret sent both ways (the
// header, and the webhook URL the automation was given) is still removed from
// the path, so it never becomes the event's model in Botpress.
func TestWebhookSecretInHeaderAndPath(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef0123"
	req := botpress.WebhookRequest{Path: "/" + secret + "/company/updated", Headers: map[string]string{"X-Webhook-Secret": secret}}
	path, ok := checkWebhookSecret(&req, secret)
	if !ok {
		t.Fatal("the secret was refused")
	}
	emits, err := parsePlanhatWebhook(path, []byte(`{"_id":"c1","name":"Acme"}`), time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emits {
		b, err := json.Marshal(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) || e.Type != "companyUpdated" {
			t.Errorf("event %s carries the secret or the wrong type: %s", e.Type, b)
		}
	}
}
