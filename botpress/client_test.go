package botpress_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/botpress/botpresstest"
)

func newClient(t *testing.T, bp *botpressemu.Server, edit func(*botpress.ClientOptions)) *botpress.Client {
	t.Helper()
	opts := bp.ClientOptions()
	opts.TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	if edit != nil {
		edit(&opts)
	}
	c, err := botpress.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientAgainstEmulator(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t, botpressemu.WithPageSize(2))
	c := newClient(t, bp, nil)
	ctx := t.Context()

	u, err := c.GetOrCreateUser(ctx, botpress.GetOrCreateUserInput{Tags: map[string]string{"email": "a@x", "id": "p1"}, Name: "Ann", DiscriminateByTags: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	u2, err := c.GetOrCreateUser(ctx, botpress.GetOrCreateUserInput{Tags: map[string]string{"email": "a@x", "id": "other"}, DiscriminateByTags: []string{"email"}})
	if err != nil || u2.ID != u.ID {
		t.Fatalf("discriminateByTags lookup = %+v, %v", u2, err)
	}
	if _, err := c.UpdateUser(ctx, u.ID, botpress.UpdateUserInput{Tags: map[string]string{"id": ""}, PictureURL: "https://p"}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"email": "a@x"}, got.Tags); diff != "" || got.PictureURL != "https://p" || got.Name != "Ann" {
		t.Errorf("user after update = %+v (tags diff %s)", got, diff)
	}
	if _, err := c.CreateUser(ctx, botpress.CreateUserInput{Tags: map[string]string{"email": "b@x"}}); err != nil {
		t.Fatal(err)
	}

	conv, err := c.GetOrCreateConversation(ctx, botpress.GetOrCreateConversationInput{Channel: "hitl", Tags: map[string]string{"id": "T1"}})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.GetOrCreateConversation(ctx, botpress.GetOrCreateConversationInput{Channel: "hitl", Tags: map[string]string{"id": "T1"}}); again.ID != conv.ID {
		t.Errorf("get-or-create made a second conversation")
	}
	if _, err := c.UpdateConversation(ctx, conv.ID, botpress.UpdateConversationInput{Tags: map[string]string{"status": "open"}}); err != nil {
		t.Fatal(err)
	}
	if gc, _ := c.GetConversation(ctx, conv.ID); gc.Tags["status"] != "open" || gc.Tags["id"] != "T1" {
		t.Errorf("conversation = %+v", gc)
	}
	if _, err := c.CreateConversation(ctx, botpress.CreateConversationInput{Channel: "hitl", Tags: map[string]string{"id": "T2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddParticipant(ctx, conv.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	convs, _, err := c.ListConversations(ctx, botpress.ListConversationsInput{Tags: map[string]string{"id": "T1"}, ParticipantIDs: []string{u.ID}})
	if err != nil || len(convs) != 1 || convs[0].ID != conv.ID {
		t.Errorf("ListConversations = %+v, %v", convs, err)
	}

	for i := range 5 {
		_, err := c.CreateMessage(ctx, botpress.CreateMessageInput{Type: "text", Payload: map[string]string{"text": "m"}, UserID: u.ID,
			ConversationID: conv.ID, Tags: map[string]string{"pfId": string(rune('a' + i))}})
		if err != nil {
			t.Fatal(err)
		}
	}
	dup, err := c.GetOrCreateMessage(ctx, botpress.GetOrCreateMessageInput{CreateMessageInput: botpress.CreateMessageInput{Type: "text",
		Payload: map[string]string{"text": "again"}, UserID: u.ID, ConversationID: conv.ID, Tags: map[string]string{"pfId": "c"}}, DiscriminateByTags: []string{"pfId"}})
	if err != nil {
		t.Fatal(err)
	}
	var all []botpress.Message
	for m, err := range c.AllMessages(ctx, botpress.ListMessagesInput{ConversationID: conv.ID}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m)
	}
	if len(all) != 5 || all[2].ID != dup.ID {
		t.Errorf("AllMessages over pages of 2 = %d messages; dedup id %s", len(all), dup.ID)
	}
	tagged, _, err := c.ListMessages(ctx, botpress.ListMessagesInput{ConversationID: conv.ID, Tags: map[string]string{"pfId": "d"}})
	if err != nil || len(tagged) != 1 {
		t.Errorf("ListMessages by tag = %+v, %v", tagged, err)
	}
	if acked, err := c.AckMessage(ctx, all[0].ID, map[string]string{"ext": "1"}); err != nil || acked.Tags["ext"] != "1" || acked.Tags["pfId"] != "a" {
		t.Errorf("ack = %+v, %v", acked, err)
	}
	if m, err := c.GetMessage(ctx, all[0].ID); err != nil || m.Direction != botpress.DirectionIncoming {
		t.Errorf("GetMessage = %+v, %v", m, err)
	}
	var users int
	for _, err := range c.AllUsers(ctx, botpress.ListUsersInput{}) {
		if err != nil {
			t.Fatal(err)
		}
		users++
	}
	if users != 3 { // bot user + two created
		t.Errorf("AllUsers = %d", users)
	}

	ev, err := c.CreateEvent(ctx, botpress.CreateEventInput{Type: "hitlAssigned", Payload: map[string]string{"conversationId": conv.ID, "userId": u.ID},
		ConversationID: conv.ID, UserID: u.ID, MessageID: all[0].ID})
	if err != nil || ev.ID == "" {
		t.Fatalf("CreateEvent = %+v, %v", ev, err)
	}
	if evs := bp.EventsOfType("hitlAssigned"); len(evs) != 1 || evs[0].MessageID != all[0].ID {
		t.Errorf("recorded events = %+v", evs)
	}

	_, err = c.GetState(ctx, botpress.StateIntegration, bp.IntegrationID, "cfg")
	if !errors.Is(err, botpress.ErrNotFound) {
		t.Fatalf("GetState of unset state: %v", err)
	}
	var ae *botpress.APIError
	if !errors.As(err, &ae) || ae.Body.Type != botpress.TypeResourceNotFound {
		t.Errorf("error = %#v", err)
	}
	if _, err := c.SetState(ctx, botpress.StateIntegration, bp.IntegrationID, "cfg", map[string]any{"a": 1, "b": 2}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PatchState(ctx, botpress.StateIntegration, bp.IntegrationID, "cfg", map[string]any{"b": 3}); err != nil {
		t.Fatal(err)
	}
	st, err := c.GetOrSetState(ctx, botpress.StateIntegration, bp.IntegrationID, "cfg", map[string]any{"ignored": true}, 0)
	if err != nil || string(st.Payload) != `{"a":1,"b":3}` || st.ExpiresAt == "" {
		t.Errorf("state = %+v, %v", st, err)
	}
	if _, err := c.SetState(ctx, botpress.StateConversation, conv.ID, "s", nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetState(ctx, botpress.StateConversation, conv.ID, "s"); !errors.Is(err, botpress.ErrNotFound) {
		t.Errorf("null payload should clear the state: %v", err)
	}
	id := "planhat-1"
	if err := c.ConfigureIntegration(ctx, botpress.ConfigureIntegrationInput{Identifier: &id, ScheduleRegisterCall: "daily"}); err != nil {
		t.Fatal(err)
	}
	if calls := bp.ConfigureCalls(); len(calls) != 1 || *calls[0].Identifier != id {
		t.Errorf("configure calls = %+v", calls)
	}

	for _, rq := range bp.Requests() {
		if rq.TraceParent != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" || rq.ContentType != "application/json" || rq.IntegrationAlias != bp.IntegrationAlias {
			t.Errorf("request lacks SDK headers: %+v", rq)
		}
		if rq.Route == "GET /v1/chat/messages" && strings.Contains(rq.Query, "tags") {
			q, _ := url.ParseQuery(rq.Query)
			if q.Get("tags.pfId") != "d" || q.Get("conversationId") != conv.ID {
				t.Errorf("query not qs-encoded with dots: %s", rq.Query)
			}
		}
		if rq.Route == "GET /v1/chat/conversations" {
			if q, _ := url.ParseQuery(rq.Query); len(q["participantIds"]) != 1 || q.Get("tags.id") != "T1" {
				t.Errorf("conversation query = %s", rq.Query)
			}
		}
	}
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t)
	ctx := t.Context()
	tests := []struct {
		name   string
		edit   func(*botpress.ClientOptions)
		call   func(*botpress.Client) error
		wantIs error
		noLeak string
	}{
		{"wrong token", func(o *botpress.ClientOptions) { o.Token = "wrong-secret" }, func(c *botpress.Client) error {
			_, err := c.GetUser(ctx, "x")
			return err
		}, botpress.ErrUnauthorized, "wrong-secret"},
		{"other bot", func(o *botpress.ClientOptions) { o.BotID = "bot_other" }, func(c *botpress.Client) error {
			_, err := c.GetUser(ctx, "x")
			return err
		}, botpress.ErrForbidden, ""},
		{"unknown user", nil, func(c *botpress.Client) error {
			_, err := c.GetUser(ctx, "user/../x")
			return err
		}, botpress.ErrNotFound, ""},
		{"message into unknown conversation", nil, func(c *botpress.Client) error {
			_, err := c.CreateMessage(ctx, botpress.CreateMessageInput{Type: "text", Payload: map[string]string{"text": "x"}, UserID: bp.BotUserID, ConversationID: "nope"})
			return err
		}, botpress.ErrNotFound, ""},
		{"message without payload", nil, func(c *botpress.Client) error {
			_, err := c.CreateMessage(ctx, botpress.CreateMessageInput{Type: "text", UserID: bp.BotUserID, ConversationID: "nope"})
			return err
		}, botpress.ErrBadRequest, ""},
		{"oversized tag", nil, func(c *botpress.Client) error {
			_, err := c.CreateUser(ctx, botpress.CreateUserInput{Tags: map[string]string{"k": strings.Repeat("x", 501)}})
			return err
		}, botpress.ErrBadRequest, ""},
		{"integration state of another installation", nil, func(c *botpress.Client) error {
			_, err := c.GetState(ctx, botpress.StateIntegration, "intver_other", "x")
			return err
		}, botpress.ErrForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, bp, tt.edit)
			err := tt.call(c)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			if tt.noLeak != "" && strings.Contains(err.Error(), tt.noLeak) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestNewClientValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts botpress.ClientOptions
		want error
	}{
		{"no token", botpress.ClientOptions{BotID: "b"}, botpress.ErrNoToken},
		{"no bot", botpress.ClientOptions{Token: "t"}, botpress.ErrNoBotID},
		{"bad url", botpress.ClientOptions{Token: "t", BotID: "b", BaseURL: "ftp://x"}, nil},
	}
	for _, tt := range tests {
		_, err := botpress.NewClient(tt.opts)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	env := map[string]string{"BP_API_URL": "http://127.0.0.1:9300", "BP_TOKEN": "tok"}
	if o := botpress.ClientOptionsFromEnv(func(k string) string { return env[k] }); o.BaseURL != env["BP_API_URL"] || o.Token != "tok" {
		t.Errorf("ClientOptionsFromEnv = %+v", o)
	}
}

func TestClientRetriesAgainstEmulator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		failures  int
		post      bool
		wantErr   bool
		wantCalls int
	}{
		{"GET retried on 503", 503, 2, false, false, 3},
		{"POST not retried on 503", 503, 1, true, true, 1},
		{"POST retried on 429", 429, 2, true, false, 3},
		{"POST retried on 502", 502, 1, true, false, 2},
		{"gives up after 3 retries", 503, 4, false, true, 4},
		{"400 never retried", 400, 1, false, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bp := botpresstest.NewServer(t)
			c := newClient(t, bp, nil)
			bp.FailNext(tt.failures, tt.status, "0.01")
			var err error
			if tt.post {
				_, err = c.CreateUser(t.Context(), botpress.CreateUserInput{Tags: map[string]string{"k": "v"}})
			} else {
				_, err = c.GetUser(t.Context(), bp.BotUserID)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if n := len(bp.Requests()); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

// roundTripFunc serves a client from a function (an http.RoundTripper, not
// one of our interfaces), so retry timing runs on synctest's fake clock.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestClientRetryDelays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header http.Header
		netErr bool
		want   time.Duration // total wait for two retries
	}{
		{"default n seconds", nil, false, 3 * time.Second},
		{"network error", nil, true, 3 * time.Second},
		{"Retry-After seconds", http.Header{"Retry-After": {"5"}}, false, 10 * time.Second},
		{"RateLimit-Reset", http.Header{"Ratelimit-Reset": {"2"}}, false, 4 * time.Second},
		{"capped", http.Header{"Retry-After": {"3600"}}, false, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					if calls.Add(1) <= 2 {
						if tt.netErr {
							return nil, errors.New("connection reset")
						}
						return &http.Response{StatusCode: 429, Header: tt.header, Body: io.NopCloser(strings.NewReader(`{"code":429,"type":"RateLimited","message":"slow down"}`)), Request: r}, nil
					}
					return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"user":{"id":"u1"}}`)), Request: r}, nil
				})
				c, err := botpress.NewClient(botpress.ClientOptions{BaseURL: "http://bp.invalid", Token: "t", BotID: "b", HTTPClient: &http.Client{Transport: rt}})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				u, err := c.CreateUser(t.Context(), botpress.CreateUserInput{})
				if err != nil || u.ID != "u1" {
					t.Fatalf("CreateUser = %+v, %v", u, err)
				}
				if got := time.Since(start); got != tt.want {
					t.Errorf("waited %v, want %v", got, tt.want)
				}
			})
		})
	}
}

func TestClientRetryHonoursContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"30"}}, Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
		})
		c, _ := botpress.NewClient(botpress.ClientOptions{BaseURL: "http://bp.invalid", Token: "t", BotID: "b", HTTPClient: &http.Client{Transport: rt}})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err := c.GetUser(ctx, "u")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
}
