package relay_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/faults"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
	"github.com/planbridge/planbridge/relay"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// rig is a relay over a SQLite store delivering to a Planhat emulator.
type rig struct {
	emu    *planhatemu.Server
	st     store.Store
	ob     *outbox.Outbox
	relay  *relay.Relay
	client *planhat.Client // the caller's client (what a door hands the action)
	clock  *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newRig(t *testing.T, mod func(*relay.Options), emuOpts ...planhatemu.Option) *rig {
	t.Helper()
	emu := planhattest.NewServer(t, append([]planhatemu.Option{planhatemu.WithSeed(3), planhatemu.WithConversationTypes("Chatbot"), planhatemu.WithRateLimit(0, time.Minute)}, emuOpts...)...)
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "relay.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Now()}
	ob, err := outbox.New(outbox.Options{Store: st, Now: clk.Now, Backoff: func(int) time.Duration { return time.Second }})
	if err != nil {
		t.Fatal(err)
	}
	opts := relay.Options{Store: st, Outbox: ob, Now: clk.Now, NewClient: func(c planhat.Credentials) (*planhat.Client, error) {
		return planhat.NewClient(planhat.Options{Token: c.Token, BaseURL: c.BaseURL, AnalyticsURL: c.AnalyticsURL, TenantToken: c.TenantToken,
			RateLimit: ptr(planhat.NoRateLimit()), MaxWait: -1, Retry: &planhat.RetryPolicy{MaxRetries: -1}})
	}}
	if mod != nil {
		mod(&opts)
	}
	rl, err := relay.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for k, d := range rl.Deliverers() {
		ob.Register(k, d)
	}
	client, err := planhat.NewClient(planhat.Options{Token: emu.Token, BaseURL: emu.URL, AnalyticsURL: emu.AnalyticsURL, TenantToken: emu.Tenant})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{emu: emu, st: st, ob: ob, relay: rl, client: client, clock: clk}
}

func ptr[T any](v T) *T { return &v }

func (r *rig) company(t *testing.T) map[string]any {
	t.Helper()
	cs := r.emu.Objects("companies")
	if len(cs) == 0 {
		t.Fatal("the emulator has no companies")
	}
	return cs[0]
}

func (r *rig) drain(t *testing.T) {
	t.Helper()
	if held, err := r.ob.Drain(t.Context()); err != nil || !held {
		t.Fatalf("Drain = %v, %v", held, err)
	}
}

func (r *rig) conversations(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, c := range r.emu.Objects("conversations") {
		if ext, _ := c["externalId"].(string); strings.HasPrefix(ext, relay.DefaultExternalIDPrefix) {
			if _, dup := out[ext]; dup {
				t.Fatalf("two conversations with externalId %s", ext)
			}
			out[ext] = c
		}
	}
	return out
}

func msgs(author string, texts ...string) []relay.Message {
	out := make([]relay.Message, len(texts))
	for i, s := range texts {
		out[i] = relay.Message{Author: relay.Author(author), Text: s}
	}
	return out
}

func TestLoggedConversationBecomesOnePlanhatConversationUpdatedInPlace(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	company := r.company(t)
	companyID := company["_id"].(string)
	got, err := r.relay.LogConversation(t.Context(), r.client, relay.Conversation{ID: "conv-1", CompanyID: companyID, BotName: "Helper",
		Messages: append(msgs("user", "Hello, my invoice is wrong"), msgs("bot", "Let me check")...)})
	if err != nil || got.Accepted != 2 {
		t.Fatalf("LogConversation = %+v, %v", got, err)
	}
	if n := r.emu.Stats().Total; n != 0 {
		t.Fatalf("the answer came after %d Planhat calls; it must come before any", n)
	}
	r.drain(t)
	if _, err := r.relay.LogConversation(t.Context(), r.client, relay.Conversation{ID: "conv-1", CompanyID: companyID,
		Messages: msgs("user", "Thanks!")}); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	convs := r.conversations(t)
	c, ok := convs["bot-conv-1"]
	if len(convs) != 1 || !ok {
		t.Fatalf("want one conversation bot-conv-1, got %d: %v", len(convs), convs)
	}
	desc, _ := c["description"].(string)
	for _, want := range []string{"Hello, my invoice is wrong", "Let me check", "Thanks!", "Helper (bot)"} {
		if strings.Count(desc, want) != 1 {
			t.Errorf("description has %q %d times, want once:\n%s", want, strings.Count(desc, want), desc)
		}
	}
	if c["type"] != "Chatbot" || c["companyId"] != companyID || c["subject"] != "Chat with Helper" {
		t.Errorf("type %v, companyId %v, subject %v", c["type"], c["companyId"], c["subject"])
	}
	if calls := r.emu.Stats().ByRoute["PUT /conversations"]; calls != 2 {
		t.Errorf("%d bulk calls, want 2 (one per flush)", calls)
	}
}

func TestManyConversationsCostOneBulkCallPerFlush(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	companyID := r.company(t)["_id"].(string)
	for i := range 300 {
		for turn := range 3 {
			if _, err := r.relay.LogConversation(t.Context(), r.client, relay.Conversation{ID: fmt.Sprintf("c%d", i), CompanyID: companyID,
				Messages: msgs("user", fmt.Sprintf("turn %d of %d", turn, i))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.drain(t)
	if got := r.emu.Stats().Total; got != 1 {
		t.Fatalf("900 messages over 300 conversations took %d Planhat calls, want 1", got)
	}
	if got := len(r.conversations(t)); got != 300 {
		t.Fatalf("%d conversations, want 300", got)
	}
}

func TestRetriedMessagesWithIDsAreNotDoubled(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	companyID := r.company(t)["_id"].(string)
	in := relay.Conversation{ID: "c", CompanyID: companyID, Messages: []relay.Message{{ID: "m1", Author: "user", Text: "only once"}}}
	for range 3 {
		if _, err := r.relay.LogConversation(t.Context(), r.client, in); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.relay.LogConversation(t.Context(), r.client, in)
	if err != nil || got.Duplicates != 1 {
		t.Fatalf("fourth call: %+v, %v; want 1 duplicate", got, err)
	}
	r.drain(t)
	if desc := r.conversations(t)["bot-c"]["description"].(string); strings.Count(desc, "only once") != 1 {
		t.Fatalf("the message appears %d times", strings.Count(desc, "only once"))
	}
}

func TestEndUserEmailFindsTheCompanyAndLinksTheContactAndCountsEngagement(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	eus := r.emu.Objects("endusers")
	if len(eus) == 0 {
		t.Fatal("no seeded end users")
	}
	eu := eus[0]
	email := eu["email"].(string)
	got, err := r.relay.LogConversation(t.Context(), r.client, relay.Conversation{ID: "c", EndUserEmail: email, EndUserName: "Ann",
		Messages: append(msgs("user", "hi", "are you there?"), msgs("bot", "yes")...)})
	if err != nil || !got.Engagement {
		t.Fatalf("LogConversation = %+v, %v; want engagement queued", got, err)
	}
	r.drain(t)
	c := r.conversations(t)["bot-c"]
	if c == nil || c["companyId"] != eu["companyId"] {
		t.Fatalf("conversation %v, want it on the contact's company %v", c, eu["companyId"])
	}
	if fmt.Sprint(c["endusers"]) == "[]" || !strings.Contains(fmt.Sprint(c["endusers"]), eu["_id"].(string)) {
		t.Errorf("endusers %v, want the contact %v linked", c["endusers"], eu["_id"])
	}
	acts := r.emu.Activities()
	if len(acts) != 1 {
		t.Fatalf("%d activities, want 1", len(acts))
	}
	// A second flush finds the contact stored: no second lookup.
	before := r.emu.Stats().ByRoute["GET /endusers"]
	if _, err := r.relay.LogConversation(t.Context(), r.client, relay.Conversation{ID: "c", EndUserEmail: email, Messages: msgs("bot", "bye")}); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	if after := r.emu.Stats().ByRoute["GET /endusers"]; after != before {
		t.Errorf("the contact was looked up again (%d → %d)", before, after)
	}
}

func TestRateLimitedFlushSnoozesWithoutSpendingAttempts(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	companyID := r.company(t)["_id"].(string)
	if _, err := r.emu.AddFault(faults.Spec{Paths: []string{"/conversations"}, Count: 3, Status: 429, RetryAfter: faults.Duration(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.relay.LogConversation(t.Context(), r.client, relay.Conversation{ID: "c", CompanyID: companyID, Messages: msgs("user", "hi")}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		r.drain(t)
		items, _ := r.st.List(t.Context(), store.Filter{Kind: relay.KindConversation})
		if len(items) != 1 || items[0].State != store.StateAvailable || items[0].Attempts != 0 {
			t.Fatalf("after a 429: %+v; want available with no attempt spent", items)
		}
		if wait := items[0].RunAt.Sub(r.clock.Now()); wait < time.Second {
			t.Fatalf("snoozed for %s, want Planhat's Retry-After of 2s", wait)
		}
		r.clock.Add(3 * time.Second)
	}
	r.drain(t)
	if len(r.conversations(t)) != 1 {
		t.Fatal("the conversation did not arrive after the 429s stopped")
	}
}

func TestAConversationPlanhatRefusesIsRetriedAloneThenDeadLettered(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	companyID := r.company(t)["_id"].(string)
	for _, id := range []string{"good-1", "bad", "good-2"} {
		company := companyID
		if id == "bad" {
			company = "extid-no-such-company"
		}
		if _, err := r.relay.LogConversation(t.Context(), r.client, relay.Conversation{ID: id, CompanyID: company, Messages: msgs("user", "hello "+id)}); err != nil {
			t.Fatal(err)
		}
	}
	r.drain(t)
	if got := len(r.conversations(t)); got != 2 {
		t.Fatalf("%d conversations delivered, want the 2 good ones", got)
	}
	r.clock.Add(2 * time.Second)
	r.drain(t)
	dead, err := r.st.List(t.Context(), store.Filter{States: []store.State{store.StateDead}})
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "Planhat refused") {
		t.Fatalf("dead letters %+v, %v; want the bad conversation with Planhat's reason", dead, err)
	}
	if calls := r.emu.Stats().ByRoute["PUT /conversations"]; calls != 2 {
		t.Errorf("%d bulk calls, want 2 (the batch, then the refused item alone)", calls)
	}
}

func TestOutagesLoseNothingAndDoubleNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	companyID := r.company(t)["_id"].(string)
	specs := []faults.Spec{
		{Paths: []string{"/conversations"}, Count: 2, Status: 503},
		{Paths: []string{"/conversations"}, Count: 2, Drop: true},
		{Paths: []string{"/conversations"}, Count: 2, Status: 429, RetryAfter: faults.Duration(time.Second)},
		{Paths: []string{"/analytics"}, Count: 2, Status: 502},
	}
	for _, s := range specs {
		if _, err := r.emu.AddFault(s); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{}
	for i := range 40 {
		id := fmt.Sprintf("c%d", i%10)
		text := fmt.Sprintf("message %d", i)
		want[id]++
		if _, err := r.relay.LogConversation(t.Context(), r.client, relay.Conversation{ID: id, CompanyID: companyID, EndUserEmail: "x@example.com",
			Messages: msgs("user", text)}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			r.drain(t)
			r.clock.Add(2 * time.Minute)
		}
	}
	for range 10 {
		r.drain(t)
		r.clock.Add(2 * time.Minute)
	}
	backlog, err := r.st.Backlog(t.Context())
	if err != nil || backlog != 0 {
		t.Fatalf("backlog %d (%v) after the faults stopped", backlog, err)
	}
	convs := r.conversations(t)
	if len(convs) != 10 {
		t.Fatalf("%d conversations, want 10", len(convs))
	}
	for id, n := range want {
		desc := convs["bot-"+id]["description"].(string)
		if got := strings.Count(desc, "message "); got != n {
			t.Errorf("%s has %d messages, want %d", id, got, n)
		}
	}
}

func TestLogConversationRefusesBadInputAndStoresNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	tests := []struct {
		name  string
		in    relay.Conversation
		field string
	}{
		{"no id", relay.Conversation{CompanyID: "x", Messages: msgs("user", "a")}, "conversationId"},
		{"no company or email", relay.Conversation{ID: "c", Messages: msgs("user", "a")}, "companyId"},
		{"no messages", relay.Conversation{ID: "c", CompanyID: "x"}, "messages"},
		{"bad author", relay.Conversation{ID: "c", CompanyID: "x", Messages: msgs("robot", "a")}, "messages[0].author"},
		{"empty text", relay.Conversation{ID: "c", CompanyID: "x", Messages: msgs("user", " ")}, "messages[0].text"},
	}
	for _, tt := range tests {
		_, err := r.relay.LogConversation(t.Context(), r.client, tt.in)
		var ie *relay.InputError
		if !errors.As(err, &ie) || ie.Field != tt.field {
			t.Errorf("%s: err %v, want an InputError on %s", tt.name, err, tt.field)
		}
	}
	if n, _ := r.st.Backlog(t.Context()); n != 0 {
		t.Fatalf("refused input left %d items", n)
	}
}

func TestTrackActivitiesAreDeliveredInOneBulkCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	var acts []planhat.Activity
	for i := range 250 {
		acts = append(acts, planhat.Activity{Email: fmt.Sprintf("u%d@example.com", i), Action: "Asked the bot"})
	}
	if n, err := r.relay.TrackActivities(context.Background(), r.client, acts); err != nil || n != 250 {
		t.Fatalf("TrackActivities = %d, %v", n, err)
	}
	r.drain(t)
	if got := len(r.emu.Activities()); got != 250 {
		t.Fatalf("%d activities arrived, want 250", got)
	}
	if got := r.emu.Stats().Total; got != 1 {
		t.Fatalf("%d calls, want 1", got)
	}
}
