package e2e_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
)

// TestUpstreamRequestTable replays the request table of
// botpress-integration.md §7 (the upstream Planhat integration run offline)
// and checks the same statuses and output shapes where upstream was right,
// and our instructive answers where it was not (marked "differs").
func TestUpstreamRequestTable(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	c1 := s.planhat.Insert("companies", map[string]any{"name": "C One", "externalId": "c1"})
	c2 := s.planhat.Insert("companies", map[string]any{"name": "C Two", "externalId": "c2"})
	a1 := s.planhat.Insert("assets", map[string]any{"name": "Asset One", "companyId": c1, "externalId": "ext-1", "custom": map[string]any{"tier": "gold"}})
	a2 := s.planhat.Insert("assets", map[string]any{"name": "Asset Two", "companyId": c1, "externalId": "ext-2"})
	a3 := s.planhat.Insert("assets", map[string]any{"name": "Asset Three", "companyId": c2, "externalId": "ext-3"})

	t.Run("listAssets companyId limit 2", func(t *testing.T) {
		s.planhat.ResetStats()
		out := s.output(t, "listAssets", map[string]any{"companyId": c1, "limit": 2})
		assets, _ := out["assets"].([]any)
		if len(assets) != 2 {
			t.Fatalf("assets = %v, want 2", out)
		}
		for _, a := range assets {
			m := a.(map[string]any)
			if m["id"] == nil || m["name"] == nil || m["companyId"] != c1 {
				t.Errorf("asset shape: %v", m)
			}
		}
		reqs := s.planhat.Requests()
		last := reqs[len(reqs)-1]
		if last.Method != "GET" || last.Path != "/assets" || !strings.Contains(last.Query, "companyId="+c1) || !strings.Contains(last.Query, "limit=2") {
			t.Errorf("Planhat saw %s %s?%s", last.Method, last.Path, last.Query)
		}
	})
	t.Run("getAsset by extid", func(t *testing.T) {
		out := s.output(t, "getAsset", map[string]any{"assetId": "extid-ext-1"})
		if out["id"] != a1 || out["custom"].(map[string]any)["tier"] != "gold" {
			t.Errorf("getAsset = %v", out)
		}
	})
	t.Run("createAsset", func(t *testing.T) {
		out := s.output(t, "createAsset", map[string]any{"name": "Nine", "companyId": c2, "externalId": "e9"})
		if len(idOf(out)) != 24 || out["name"] != "Nine" || out["companyId"] != c2 || out["externalId"] != "e9" {
			t.Errorf("createAsset = %v", out)
		}
	})
	t.Run("updateAsset", func(t *testing.T) {
		s.planhat.ResetStats()
		out := s.output(t, "updateAsset", map[string]any{"assetId": a2, "name": "Renamed"})
		if out["name"] != "Renamed" {
			t.Errorf("updateAsset = %v", out)
		}
		if got := s.planhat.Stats().ByRoute["PUT /assets/{id}"]; got != 1 {
			t.Errorf("Planhat saw %d PUT /assets/{id}", got)
		}
	})
	t.Run("bulkUpsertAssets one update one create", func(t *testing.T) {
		out := s.output(t, "bulkUpsertAssets", map[string]any{"assets": []map[string]any{
			{"id": a1, "name": "Asset One v2"}, {"name": "Fresh", "companyId": c2, "externalId": "fresh-1"},
		}})
		want := map[string]any{"created": float64(1), "updated": float64(1)}
		got := map[string]any{"created": out["created"], "updated": out["updated"]}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}
		keys, _ := out["insertsKeys"].([]any)
		if len(keys) != 1 || idOf(keys[0].(map[string]any)) == "" {
			t.Errorf("insertsKeys = %v", out["insertsKeys"])
		}
		for _, k := range []string{"nonupdates", "upsertedIds", "updatesKeys", "createdErrors", "updatedErrors", "permissionErrors"} {
			if _, ok := out[k]; !ok {
				t.Errorf("output lacks %s", k)
			}
		}
	})
	t.Run("deleteAsset", func(t *testing.T) {
		out := s.output(t, "deleteAsset", map[string]any{"assetId": a3})
		if diff := cmp.Diff(map[string]any{"success": true, "deletedCount": float64(1)}, out); diff != "" {
			t.Errorf("deleteAsset (-want +got):\n%s", diff)
		}
	})
	t.Run("getAsset wrong token: 400 Runtime, differs: instructive", func(t *testing.T) {
		resp, err := s.bp.CallAction(ctx, "", s.configWith(map[string]any{"apiToken": "wrong"}), "getAsset", map[string]any{"assetId": a1})
		if err != nil {
			t.Fatal(err)
		}
		if e := apiError(t, resp, 400, botpress.TypeRuntime); !strings.Contains(e.Message, "Settings > Private Apps") {
			t.Errorf("message: %s", e.Message)
		}
	})
	t.Run("getAsset unknown: 400 Runtime, differs: instructive", func(t *testing.T) {
		e := apiError(t, s.action(t, "getAsset", map[string]any{"assetId": "extid-nope"}), 400, botpress.TypeRuntime)
		if !strings.Contains(e.Message, "asset") || !strings.Contains(e.Message, "check the id") {
			t.Errorf("message: %s", e.Message)
		}
	})
	t.Run("listAssets limit 5000: differs, validated", func(t *testing.T) {
		s.planhat.ResetStats()
		e := apiError(t, s.action(t, "listAssets", map[string]any{"limit": 5000}), 400, botpress.TypeInvalidPayload)
		if !strings.Contains(e.Message, "limit") {
			t.Errorf("message: %s", e.Message)
		}
		if s.planhat.Stats().Total != 0 {
			t.Error("an invalid input reached Planhat")
		}
	})

	// Protocol-level rows.
	rows := []struct {
		name       string
		opts       botpressemu.CallOptions
		wantStatus int
		wantBody   string // exact body, when set
		wantType   string // Botpress error type, when set
		mention    string
	}{
		{name: "unknown action", opts: botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: map[string]any{"type": "nope", "input": map[string]any{}}},
			wantStatus: 400, wantType: botpress.TypeInvalidPayload, mention: "nope"},
		{name: "missing type", opts: botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: map[string]any{"input": map[string]any{}}},
			wantStatus: 400, wantType: botpress.TypeInvalidPayload, mention: "type"},
		{name: "body absent", opts: botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: []byte{}},
			wantStatus: 400, wantType: botpress.TypeInvalidPayload},
		{name: "message_created without channels", opts: botpressemu.CallOptions{Operation: botpress.OpMessageCreated, Payload: map[string]any{
			"type": "text", "payload": map[string]any{"text": "hi"}, "conversation": map[string]any{"id": "c", "channel": "chat"}}},
			wantStatus: 400, wantType: botpress.TypeInvalidPayload, mention: "chat"},
		{name: "bogus operation", opts: botpressemu.CallOptions{Operation: "bogus_op"},
			wantStatus: 400, wantType: botpress.TypeInvalidPayload, mention: "Unknown operation"},
		{name: "register", opts: botpressemu.CallOptions{Operation: botpress.OpRegister, Payload: map[string]any{"webhookUrl": s.bp.WebhookURL()}},
			wantStatus: 200, wantBody: "{}"},
		{name: "unregister", opts: botpressemu.CallOptions{Operation: botpress.OpUnregister, Payload: map[string]any{"webhookUrl": s.bp.WebhookURL()}},
			wantStatus: 200, wantBody: "{}"},
		{name: "ping", opts: botpressemu.CallOptions{Operation: botpress.OpPing}, wantStatus: 200, wantBody: "{}"},
		{name: "create_user", opts: botpressemu.CallOptions{Operation: botpress.OpCreateUser, Payload: map[string]any{"tags": map[string]string{}}},
			wantStatus: 200, wantBody: "{}"},
		{name: "create_conversation", opts: botpressemu.CallOptions{Operation: botpress.OpCreateConversation, Payload: map[string]any{"channel": "chat", "tags": map[string]string{}}},
			wantStatus: 200, wantBody: "{}"},
		// SDK 7.2 operations, absent from 5.4.3: accepted with 200 {} when not handled (§10).
		{name: "message_updated", opts: botpressemu.CallOptions{Operation: botpress.OpMessageUpdated, Payload: map[string]any{
			"type": "text", "payload": map[string]any{"text": "edited"}, "conversation": map[string]any{"id": "c", "channel": "chat"},
			"currentMessage": map[string]any{"id": "m"}, "previousMessage": map[string]any{"id": "m"}}},
			wantStatus: 200, wantBody: "{}"},
		{name: "conversation_updated", opts: botpressemu.CallOptions{Operation: botpress.OpConversationUpdated, Payload: map[string]any{
			"currentConversation": map[string]any{"id": "c", "channel": "chat"}, "previousConversation": map[string]any{"id": "c", "channel": "chat"}}},
			wantStatus: 200, wantBody: "{}"},
		{name: "webhook_received without secret: differs, refused", opts: botpressemu.CallOptions{Operation: botpress.OpWebhookReceived,
			Payload: map[string]any{"req": map[string]any{"method": "POST", "path": "", "query": "", "headers": map[string]string{}, "body": "{}"}}},
			wantStatus: 401, mention: "webhook secret"},
		{name: "missing x-bot-id", opts: botpressemu.CallOptions{Operation: botpress.OpPing, OmitHeaders: []string{"x-bot-id"}},
			wantStatus: 500, wantBody: `{"error":"Missing bot header"}`},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			resp, err := s.bp.Do(ctx, "", r.opts)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != r.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.Status, r.wantStatus, resp.Body)
			}
			if r.wantBody != "" && strings.TrimSpace(string(resp.Body)) != r.wantBody {
				t.Errorf("body = %s, want %s", resp.Body, r.wantBody)
			}
			if r.wantType != "" {
				e := apiError(t, resp, r.wantStatus, r.wantType)
				if !strings.HasPrefix(e.ID, "err_") {
					t.Errorf("error id %q is not in Botpress's format", e.ID)
				}
			}
			if r.mention != "" && !strings.Contains(string(resp.Body), r.mention) {
				t.Errorf("body lacks %q: %s", r.mention, resp.Body)
			}
		})
	}

	t.Run("GET /health", func(t *testing.T) {
		resp, err := http.Get(s.door + "/health")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Errorf("health = %d %q", resp.StatusCode, b)
		}
	})
}
