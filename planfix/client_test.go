package planfix_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/planbridge/planbridge/internal/closedport"
	"github.com/planbridge/planbridge/internal/golden"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/planfix/planfixemu"
	"github.com/planbridge/planbridge/planfix/planfixtest"
)

// testTransport is shared by the tests' clients and kept apart from
// http.DefaultTransport, whose connections every httptest.Server.Close resets.
var testTransport = &http.Transport{}

// checkGolden compares got with testdata/golden/name, rewriting it under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), []byte(got))
}

func readSeed(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newClient(t *testing.T, endpoint, token, providerID string, mods ...func(*planfix.ClientConfig)) *planfix.Client {
	t.Helper()
	cfg := planfix.ClientConfig{
		Endpoint: endpoint, PlanfixToken: token, ProviderID: providerID,
		Limiter:    rate.NewLimiter(rate.Inf, 0),
		HTTPClient: &http.Client{Transport: testTransport, Timeout: 5 * time.Second},
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := planfix.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func clientFor(t *testing.T, srv *planfixemu.Server, mods ...func(*planfix.ClientConfig)) *planfix.Client {
	return newClient(t, srv.Endpoint(), srv.PlanfixToken, srv.ProviderID, mods...)
}

// lastBody returns the raw body of the last call the emulator received.
func lastBody(t *testing.T, srv *planfixemu.Server) string {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("the emulator received no request")
	}
	return reqs[len(reqs)-1].Body
}

const (
	seedToken    = "303cb962ac59075b964b07152d234b70"
	seedProvider = "superchat"
)

func seedMessage() *planfix.Message {
	return &planfix.Message{
		ChatID: "EFHASFN1239351",
		Text:   "Hello, I have a question",
		Contact: planfix.Contact{
			ID: "57487124", Name: "Ivan", LastName: "Ivanov",
			Ico: "https://superchat.io/avatars/183712.png", Email: "ivan@ivanov.com",
			Phone: "79051234567", Data: "the gas boilers came as expected",
		},
		Attachments: []planfix.Attachment{
			{Name: "photo1.jpg", URL: "https://superchat.io/files/5444.jpg"},
			{Name: "photo2.jpg", URL: "https://superchat.io/files/5445.jpg"},
		},
	}
}

// TestGoldenSeedSampleCalls reproduces the documentation's sample calls: the
// decoded bodies equal the seed's lines byte for byte, the encoded bodies
// are pinned by golden files.
func TestGoldenSeedSampleCalls(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := planfixtest.NewServer(t, planfixemu.WithProviderID(seedProvider), planfixemu.WithPlanfixToken(seedToken))
	c := clientFor(t, srv)

	if err := c.SendMessage(ctx, seedMessage()); err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, srv)
	checkGolden(t, "newMessage_seed.form", body)
	decoded, err := planfix.ParseForm(body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(readSeed(t, "newMessage.txt"), decoded.String()); diff != "" {
		t.Errorf("newMessage differs from the documented sample (-doc +sent):\n%s", diff)
	}

	if _, err := c.GetTask(ctx, "EFHASFN1239351"); err != nil {
		t.Fatal(err)
	}
	body = lastBody(t, srv)
	checkGolden(t, "getTask_seed.form", body)
	decoded, _ = planfix.ParseForm(body)
	if diff := cmp.Diff(readSeed(t, "getTask.txt"), decoded.String()); diff != "" {
		t.Errorf("getTask differs from the documented sample (-doc +sent):\n%s", diff)
	}

	// Planfix → chat: the emulator's encoder and the parser against the seed.
	in := planfix.InboundMessage{
		ProviderID: seedProvider, ChatID: "EFHASFN1239351", Text: "Hello, how can I help you?",
		UserName: "Peter", UserLastName: "Peterson", UserIco: "https://account_name.planfix.com/?action=getuserpic&id=77",
		Attachments: []planfix.Attachment{
			{Name: "file1.doc", URL: "https://account_name.planfix.com/file/aadkapdoa5456454"},
			{Name: "file2.doc", URL: "https://account_name.planfix.com/file/aadkapdoa5456455"},
		},
	}
	form := in.Form("202cb962ac59075b964b07152d234b70")
	if diff := cmp.Diff(readSeed(t, "inbound_newMessage.txt"), form.String()); diff != "" {
		t.Errorf("inbound newMessage differs from the documented sample (-doc +built):\n%s", diff)
	}
	checkGolden(t, "inbound_newMessage_seed.form", form.Encode())
	parsed, err := planfix.ParseForm(strings.NewReplacer("[", "%5B", "]", "%5D").Replace(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := planfix.ParseInboundMessage(parsed)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&in, got); diff != "" {
		t.Errorf("ParseInboundMessage (-want +got):\n%s", diff)
	}
}

func TestGoldenBodies(t *testing.T) {
	t.Parallel()
	type call func(ctx context.Context, c *planfix.Client) error
	tests := []struct {
		golden string
		call   call
		check  func(t *testing.T, f planfix.Form)
	}{
		{"newMessage_full.form", func(ctx context.Context, c *planfix.Client) error {
			return c.SendMessage(ctx, &planfix.Message{
				ChatID: "chat-1", Channel: "bot-2", Title: "Заказ №5 🚚", Text: "Где мой заказ? 📦\nשלום",
				Contact:     planfix.Contact{ID: "u-1", Name: "Анна", Email: "anna@example.test"},
				Attachments: []planfix.Attachment{{Name: "чек.pdf", URL: "https://files.test/a?sig=1&exp=2"}},
				IsEcho:      true,
				Data:        map[string]string{"utm_source": "ads", "utm_medium": "cpc"},
			})
		}, func(t *testing.T, f planfix.Form) {
			if f.Get("isEcho") != "1" || f.Get("userEmail") != "bot@example.test" {
				t.Errorf("isEcho=%q userEmail=%q, want 1 and the default author", f.Get("isEcho"), f.Get("userEmail"))
			}
			// Cyrillic, emoji and RTL text survive the wire unchanged.
			if f.Get("message") != "Где мой заказ? 📦\nשלום" || f.Get("title") != "Заказ №5 🚚" || f.Get("contactName") != "Анна" {
				t.Errorf("UTF-8 round trip: message %q title %q contactName %q", f.Get("message"), f.Get("title"), f.Get("contactName"))
			}
		}},
		{"newMessage_attachments_only.form", func(ctx context.Context, c *planfix.Client) error {
			return c.SendMessage(ctx, &planfix.Message{
				ChatID: "chat-1", Contact: planfix.Contact{ID: "u-1", Name: "Anna"},
				Attachments: []planfix.Attachment{{Name: "a.jpg", URL: "https://files.test/1"}, {URL: "https://files.test/x/b.pdf"}},
			})
		}, func(t *testing.T, f planfix.Form) {
			if f.Has("isEcho") || f.Has("userEmail") || f.Has("title") {
				t.Errorf("a plain message must omit isEcho, userEmail and title: %q", f.String())
			}
			if f.Get("message") != "📎 a.jpg, b.pdf" {
				t.Errorf("message = %q, want the attachment names", f.Get("message"))
			}
			// A nameless attachment is sent under the name its URL gives,
			// never as an empty attachments[name].
			if diff := cmp.Diff([]string{"a.jpg", "b.pdf"}, f.Values("attachments[name]")); diff != "" {
				t.Errorf("attachments[name] (-want +got):\n%s", diff)
			}
		}},
		{"getContact.form", func(ctx context.Context, c *planfix.Client) error {
			_, err := c.GetContact(ctx, "u-1")
			return err
		}, nil},
		{"updateContact.form", func(ctx context.Context, c *planfix.Client) error {
			return c.UpdateContact(ctx, planfix.Contact{ID: "u-1", Name: "Anna", LastName: "Smith", Phone: "+79051234567", Data: "VIP"})
		}, nil},
		{"messageStatus_read.form", func(ctx context.Context, c *planfix.Client) error {
			return c.SetMessageStatus(ctx, "5000", planfix.StatusRead, "")
		}, nil},
		{"messageStatus_error.form", func(ctx context.Context, c *planfix.Client) error {
			return c.SetMessageStatus(ctx, "5001", planfix.StatusError, "user blocked the bot")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			srv := planfixtest.NewServer(t, planfixemu.WithEmployees("bot@example.test"))
			c := clientFor(t, srv, func(cfg *planfix.ClientConfig) { cfg.UserEmail = "bot@example.test" })
			// Every command but newMessage needs the contact to exist.
			if err := c.SendMessage(t.Context(), &planfix.Message{ChatID: "chat-1", Text: "hi", Contact: planfix.Contact{ID: "u-1", Name: "Anna"}}); err != nil {
				t.Fatal(err)
			}
			if err := tt.call(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			body := lastBody(t, srv)
			checkGolden(t, tt.golden, body)
			if tt.check != nil {
				f, err := planfix.ParseForm(body)
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, f)
			}
		})
	}
}

func TestGetTaskShapes(t *testing.T) {
	t.Parallel()
	for _, shape := range []planfixemu.AnswerShape{planfixemu.ShapeDataString, planfixemu.ShapeDataObject, planfixemu.ShapeTopLevel} {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			srv := planfixtest.NewServer(t, planfixemu.WithGetTaskShape(shape), planfixemu.WithGetContactShape(shape))
			c := clientFor(t, srv)
			ctx := t.Context()
			if err := c.SendMessage(ctx, &planfix.Message{ChatID: "c", Text: "hi", Contact: planfix.Contact{ID: "u", Name: "U"}}); err != nil {
				t.Fatal(err)
			}
			task, err := c.GetTask(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			want, _ := srv.TaskForChat("c")
			if task.Number != want.Number || task.StatusIsActive == nil || !*task.StatusIsActive {
				t.Fatalf("GetTask = %+v, want number %d and active", task, want.Number)
			}
			if err := srv.CloseTask(want.Number); err != nil {
				t.Fatal(err)
			}
			task, err = c.GetTask(ctx, "c")
			if err != nil || task.StatusIsActive == nil || *task.StatusIsActive {
				t.Fatalf("after close GetTask = %+v, %v; want statusIsActive false", task, err)
			}
			n, err := c.GetContact(ctx, "u")
			ct, _ := srv.Contact("u")
			if err != nil || n != ct.Number {
				t.Fatalf("GetContact = %d, %v; want %d", n, err, ct.Number)
			}
		})
	}
}

func TestParseNumberAnswer(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	tests := []struct {
		body    string
		want    planfix.NumberAnswer
		wantErr bool
	}{
		{body: `{"data":{"number":1014}}`, want: planfix.NumberAnswer{Number: 1014}},
		{body: `{"number":1014}`, want: planfix.NumberAnswer{Number: 1014}},
		{body: `{"data":"{\"number\":1014,\"statusIsActive\":true}"}`, want: planfix.NumberAnswer{Number: 1014, StatusIsActive: &yes}},
		{body: `{"data":"{\"number\":\"1014\",\"statusIsActive\":\"0\"}"}`, want: planfix.NumberAnswer{Number: 1014, StatusIsActive: &no}},
		{body: `{"data":{"number":"77","statusIsActive":false}}`, want: planfix.NumberAnswer{Number: 77, StatusIsActive: &no}},
		{body: `{"data":null,"number":5}`, want: planfix.NumberAnswer{Number: 5}},
		{body: `{"number":5,"statusIsActive":"maybe"}`, want: planfix.NumberAnswer{Number: 5}},
		{body: ``, wantErr: true},
		{body: `<html>OK</html>`, wantErr: true},
		{body: `{}`, wantErr: true},
		{body: `{"data":"not json"}`, wantErr: true},
		{body: `{"data":[1]}`, wantErr: true},
		{body: `{"number":1.5}`, wantErr: true},
		{body: `{"number":"abc"}`, wantErr: true},
	}
	for _, tt := range tests {
		got, err := planfix.ParseNumberAnswer([]byte(tt.body))
		if tt.wantErr {
			if !errors.Is(err, planfix.ErrMalformedResponse) {
				t.Errorf("ParseNumberAnswer(%s) error = %v, want ErrMalformedResponse", tt.body, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseNumberAnswer(%s): %v", tt.body, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseNumberAnswer(%s) (-want +got):\n%s", tt.body, diff)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	msg := &planfix.Message{ChatID: "c", Text: "hi", Contact: planfix.Contact{ID: "u", Name: "U"}}
	tests := []struct {
		name          string
		setup         func(srv *planfixemu.Server)
		client        func(t *testing.T, srv *planfixemu.Server) *planfix.Client
		call          func(ctx context.Context, c *planfix.Client) error
		want          error
		retryable     bool
		notDelivered  bool
		messageSays   string
		wantStatus    int
		wantLocation  bool
		wantRequestsN int
	}{
		{name: "401 wrong token",
			client: func(t *testing.T, srv *planfixemu.Server) *planfix.Client {
				return newClient(t, srv.Endpoint(), "wrong-secret-token", srv.ProviderID)
			},
			call: func(ctx context.Context, c *planfix.Client) error { return c.SendMessage(ctx, msg) },
			want: planfix.ErrInvalidToken, notDelivered: true, messageSays: "Integrations → Chats", wantStatus: 401, wantRequestsN: 1},
		{name: "400 wrong providerId",
			client: func(t *testing.T, srv *planfixemu.Server) *planfix.Client {
				return newClient(t, srv.Endpoint(), srv.PlanfixToken, "someone-else")
			},
			call: func(ctx context.Context, c *planfix.Client) error { return c.SendMessage(ctx, msg) },
			want: planfix.ErrInvalidParameters, notDelivered: true, messageSays: "providerId", wantStatus: 400, wantRequestsN: 1},
		{name: "400 task not found",
			call: func(ctx context.Context, c *planfix.Client) error { _, err := c.GetTask(ctx, "nope"); return err },
			want: planfix.ErrTaskNotFound, notDelivered: true, wantStatus: 400, wantRequestsN: 1},
		{name: "400 unknown contact",
			call: func(ctx context.Context, c *planfix.Client) error { _, err := c.GetContact(ctx, "nope"); return err },
			want: planfix.ErrUnknownContact, notDelivered: true, wantStatus: 400, wantRequestsN: 1},
		{name: "301 custom domain", setup: func(srv *planfixemu.Server) { srv.SetRedirect(301) },
			call: func(ctx context.Context, c *planfix.Client) error { return c.SendMessage(ctx, msg) },
			want: planfix.ErrRedirect, notDelivered: true, messageSays: "/custom-domain/webchat/api", wantStatus: 301, wantLocation: true, wantRequestsN: 1},
		{name: "302 custom domain", setup: func(srv *planfixemu.Server) { srv.SetRedirect(302) },
			call: func(ctx context.Context, c *planfix.Client) error { _, err := c.GetTask(ctx, "c"); return err },
			want: planfix.ErrRedirect, notDelivered: true, wantStatus: 302, wantLocation: true, wantRequestsN: 1},
		{name: "308 is not followed either", setup: func(srv *planfixemu.Server) { srv.SetRedirect(308) },
			call: func(ctx context.Context, c *planfix.Client) error { return c.SendMessage(ctx, msg) },
			want: planfix.ErrRedirect, notDelivered: true, wantStatus: 308, wantLocation: true, wantRequestsN: 1},
		{name: "502 html page", setup: func(srv *planfixemu.Server) { srv.FailNext(1, 502) },
			call: func(ctx context.Context, c *planfix.Client) error { return c.SendMessage(ctx, msg) },
			want: planfix.ErrServer, retryable: true, wantStatus: 502, wantRequestsN: 1},
		{name: "500", setup: func(srv *planfixemu.Server) { srv.FailNext(1, 500) },
			call: func(ctx context.Context, c *planfix.Client) error {
				return c.SetMessageStatus(ctx, "1", planfix.StatusSent, "")
			},
			want: planfix.ErrServer, retryable: true, wantStatus: 500, wantRequestsN: 1},
		{name: "timeout", setup: func(srv *planfixemu.Server) { srv.SetLatency(2 * time.Second) },
			call: func(ctx context.Context, c *planfix.Client) error {
				ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
				return c.SendMessage(ctx, msg)
			},
			want: planfix.ErrTransport, retryable: true},
		{name: "connection dropped after sending", setup: func(srv *planfixemu.Server) { srv.DropNext(1) },
			call: func(ctx context.Context, c *planfix.Client) error { return c.SendMessage(ctx, msg) },
			want: planfix.ErrTransport, retryable: true},
		{name: "refused before sending: ~ in providerId",
			client: func(t *testing.T, srv *planfixemu.Server) *planfix.Client {
				c, err := planfix.NewClient(planfix.ClientConfig{Endpoint: srv.Endpoint(), PlanfixToken: "x", ProviderID: "a~b"})
				if c != nil || !errors.Is(err, planfix.ErrInvalidConfig) {
					t.Fatalf("NewClient with ~ = %v, %v", c, err)
				}
				return clientFor(t, srv)
			},
			call: func(ctx context.Context, c *planfix.Client) error {
				return c.SendMessage(ctx, &planfix.Message{ChatID: "c~1", Text: "x", Contact: planfix.Contact{ID: "u", Name: "U"}})
			},
			want: planfix.ErrInvalidMessage, notDelivered: true},
		{name: "refused before sending: empty message",
			call: func(ctx context.Context, c *planfix.Client) error {
				return c.SendMessage(ctx, &planfix.Message{ChatID: "c", Text: "  ", Contact: planfix.Contact{ID: "u", Name: "U"}})
			},
			want: planfix.ErrInvalidMessage, notDelivered: true, messageSays: "message"},
		{name: "refused before sending: invalid UTF-8",
			call: func(ctx context.Context, c *planfix.Client) error {
				return c.SendMessage(ctx, &planfix.Message{ChatID: "c", Text: "bad \xff", Contact: planfix.Contact{ID: "u", Name: "U"}})
			},
			want: planfix.ErrInvalidMessage, notDelivered: true, messageSays: "UTF-8"},
		{name: "refused before sending: missing contact name",
			call: func(ctx context.Context, c *planfix.Client) error {
				return c.SendMessage(ctx, &planfix.Message{ChatID: "c", Text: "x", Contact: planfix.Contact{ID: "u"}})
			},
			want: planfix.ErrInvalidMessage, notDelivered: true, messageSays: "contactName"},
		{name: "refused before sending: empty data field name",
			call: func(ctx context.Context, c *planfix.Client) error {
				return c.SendMessage(ctx, &planfix.Message{ChatID: "c", Text: "x", Contact: planfix.Contact{ID: "u", Name: "U"}, Data: map[string]string{"": "v"}})
			},
			want: planfix.ErrInvalidMessage, notDelivered: true, messageSays: "custom field"},
		{name: "refused before sending: invalid UTF-8 in a custom field name",
			call: func(ctx context.Context, c *planfix.Client) error {
				return c.SendMessage(ctx, &planfix.Message{ChatID: "c", Text: "x", Contact: planfix.Contact{ID: "u", Name: "U"}, Data: map[string]string{"\xff": "v"}})
			},
			want: planfix.ErrInvalidMessage, notDelivered: true, messageSays: `field name "data_\xff" is not valid UTF-8`},
		{name: "refused before sending: attachment without URL",
			call: func(ctx context.Context, c *planfix.Client) error {
				return c.SendMessage(ctx, &planfix.Message{ChatID: "c", Text: "x", Contact: planfix.Contact{ID: "u", Name: "U"}, Attachments: []planfix.Attachment{{Name: "a.pdf"}}})
			},
			want: planfix.ErrInvalidMessage, notDelivered: true, messageSays: "public URL"},
		{name: "refused before sending: unknown status",
			call: func(ctx context.Context, c *planfix.Client) error {
				return c.SetMessageStatus(ctx, "1", planfix.MessageStatus("delivered"), "")
			},
			want: planfix.ErrInvalidMessage, notDelivered: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := planfixtest.NewServer(t)
			if tt.setup != nil {
				tt.setup(srv)
			}
			var c *planfix.Client
			if tt.client != nil {
				c = tt.client(t, srv)
			} else {
				c = clientFor(t, srv)
			}
			err := tt.call(t.Context(), c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if got := errors.Is(err, planfix.ErrInvalidConfig); got != (tt.want == planfix.ErrRedirect) {
				t.Errorf("errors.Is(err, ErrInvalidConfig) = %v: only a redirect is a configuration error here", got)
			}
			if got := planfix.IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.retryable)
			}
			if got := planfix.NotDelivered(err); got != tt.notDelivered {
				t.Errorf("NotDelivered = %v, want %v", got, tt.notDelivered)
			}
			for _, secret := range []string{srv.PlanfixToken, "wrong-secret-token"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error message leaks a token: %v", err)
				}
			}
			if tt.messageSays != "" && !strings.Contains(err.Error(), tt.messageSays) {
				t.Errorf("error %q does not mention %q", err, tt.messageSays)
			}
			if tt.wantStatus != 0 {
				apiErr, ok := errors.AsType[*planfix.APIError](err)
				if !ok || apiErr.StatusCode != tt.wantStatus {
					t.Fatalf("error %v is not an APIError with status %d", err, tt.wantStatus)
				}
				if tt.wantLocation && apiErr.Location != srv.CustomDomainEndpoint() {
					t.Errorf("Location = %q, want %q", apiErr.Location, srv.CustomDomainEndpoint())
				}
				if strings.Contains(apiErr.Message, "<html") {
					t.Errorf("Message carries an HTML page: %q", apiErr.Message)
				}
			}
			reqs := srv.Requests()
			if tt.wantRequestsN != 0 && len(reqs) != tt.wantRequestsN {
				t.Errorf("emulator saw %d requests, want %d (a redirect must not be followed, nothing retried)", len(reqs), tt.wantRequestsN)
			}
			if tt.want == planfix.ErrInvalidMessage && len(reqs) != 0 {
				t.Errorf("a refused message reached the emulator")
			}
			if len(srv.Tasks()) != 0 && tt.want != planfix.ErrTransport {
				t.Errorf("a failed call created a task: %+v", srv.Tasks())
			}
		})
	}
}

func TestErrorMappingRateLimitedAndUnreachable(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":"Too many requests"}`))
	}))
	defer ts.Close()
	c := newClient(t, ts.URL+"/webchat/api", "tok", "p")
	_, err := c.GetTask(t.Context(), "c")
	apiErr, ok := errors.AsType[*planfix.APIError](err)
	if !ok || !errors.Is(err, planfix.ErrServer) || apiErr.RetryAfter != 7*time.Second || !planfix.IsRetryable(err) {
		t.Fatalf("429: error = %#v", err)
	}

	addr := closedport.Addr(t)
	c = newClient(t, "http://"+addr+"/webchat/api", "tok", "p")
	err = c.SendMessage(t.Context(), &planfix.Message{ChatID: "c", Text: "hi", Contact: planfix.Contact{ID: "u", Name: "U"}})
	if !errors.Is(err, planfix.ErrTransport) || !planfix.IsRetryable(err) || !planfix.NotDelivered(err) {
		t.Fatalf("connection refused: error = %v retryable=%v notDelivered=%v", err, planfix.IsRetryable(err), planfix.NotDelivered(err))
	}
}

func TestNewClientConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  planfix.ClientConfig
		ok   bool
	}{
		{"ru", planfix.ClientConfig{Endpoint: "https://acme.planfix.ru/webchat/api", PlanfixToken: "t", ProviderID: "p"}, true},
		{"com", planfix.ClientConfig{Endpoint: "https://acme.planfix.com/webchat/api", PlanfixToken: "t", ProviderID: "p"}, true},
		{"custom domain", planfix.ClientConfig{Endpoint: "https://crm.acme.example/webchat/api", PlanfixToken: "t", ProviderID: "p"}, true},
		{"relative", planfix.ClientConfig{Endpoint: "acme.planfix.ru/webchat/api", PlanfixToken: "t", ProviderID: "p"}, false},
		{"ftp", planfix.ClientConfig{Endpoint: "ftp://acme.planfix.ru/webchat/api", PlanfixToken: "t", ProviderID: "p"}, false},
		{"no token", planfix.ClientConfig{Endpoint: "https://acme.planfix.ru/webchat/api", ProviderID: "p"}, false},
		{"no provider", planfix.ClientConfig{Endpoint: "https://acme.planfix.ru/webchat/api", PlanfixToken: "t"}, false},
	}
	for _, tt := range tests {
		_, err := planfix.NewClient(tt.cfg)
		if (err == nil) != tt.ok {
			t.Errorf("%s: NewClient error = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, planfix.ErrInvalidConfig) {
			t.Errorf("%s: error %v is not ErrInvalidConfig", tt.name, err)
		}
	}
}

func TestClientDoesNotMutateCallerHTTPClient(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t)
	srv.SetRedirect(302)
	hc := &http.Client{Timeout: 3 * time.Second}
	c := clientFor(t, srv, func(cfg *planfix.ClientConfig) { cfg.HTTPClient = hc })
	if _, err := c.GetTask(t.Context(), "c"); !errors.Is(err, planfix.ErrRedirect) {
		t.Fatalf("error = %v, want ErrRedirect", err)
	}
	if hc.CheckRedirect != nil {
		t.Fatal("NewClient changed the caller's http.Client")
	}
}

func TestClientRateLimiterHonoursContext(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t)
	c := clientFor(t, srv, func(cfg *planfix.ClientConfig) { cfg.Limiter = rate.NewLimiter(rate.Every(time.Hour), 1) })
	ctx := t.Context()
	if _, err := c.GetTask(ctx, "c"); !errors.Is(err, planfix.ErrTaskNotFound) {
		t.Fatal(err)
	}
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err := c.GetTask(ctx2, "c")
	if !errors.Is(err, planfix.ErrTransport) || !planfix.NotDelivered(err) {
		t.Fatalf("limited call error = %v, want a not-delivered transport error", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("emulator saw %d requests, want 1", n)
	}
}

func TestClientLifecycleAgainstEmulator(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t, planfixemu.WithEmployees("bot@example.test"))
	c := clientFor(t, srv, func(cfg *planfix.ClientConfig) { cfg.UserEmail = "bot@example.test" })
	ctx := t.Context()
	user := planfix.Contact{ID: "user-1", Name: "Ivan", LastName: "Petrov"}
	send := func(m planfix.Message) {
		t.Helper()
		m.ChatID, m.Contact = "conv-1", user
		if err := c.SendMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	send(planfix.Message{Title: "Refund", Text: "I want a refund", Data: map[string]string{"utm_source": "ads"}})
	send(planfix.Message{Text: "Sure, an agent will help you", IsEcho: true})
	send(planfix.Message{Text: "Thanks"})
	tasks := srv.Tasks()
	if len(tasks) != 1 {
		t.Fatalf("tasks = %d, want 1", len(tasks))
	}
	task := tasks[0]
	if task.Name != "Refund (WebChat, planbridge)" || task.CustomFields["utm_source"] != "ads" || task.Renames != 0 {
		t.Errorf("task = %+v", task)
	}
	var got []string
	for _, cm := range task.Comments {
		got = append(got, cm.Direction+" "+cm.Author+": "+cm.Text)
	}
	want := []string{"in Ivan Petrov: I want a refund", "out bot@example.test: Sure, an agent will help you", "in Ivan Petrov: Thanks"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}

	// A title on a later message renames the task: the reason callers send it once.
	send(planfix.Message{Title: "Refund again", Text: "Hello?"})
	task, _ = srv.TaskForChat("conv-1")
	if task.Name != "Refund again (WebChat, planbridge)" || task.Renames != 1 {
		t.Errorf("after a second title: name %q renames %d", task.Name, task.Renames)
	}

	// The agent closes the task; getTask says so, and the next message opens a new task.
	if err := srv.CloseTask(task.Number); err != nil {
		t.Fatal(err)
	}
	info, err := c.GetTask(ctx, "conv-1")
	if err != nil || info.Number != task.Number || *info.StatusIsActive {
		t.Fatalf("GetTask after close = %+v, %v", info, err)
	}
	send(planfix.Message{Text: "New question"})
	info, err = c.GetTask(ctx, "conv-1")
	if err != nil || info.Number == task.Number || !*info.StatusIsActive {
		t.Fatalf("GetTask after new message = %+v, %v", info, err)
	}
	n, err := c.GetContact(ctx, "user-1")
	if ct, _ := srv.Contact("user-1"); err != nil || n != ct.Number || len(srv.Contacts()) != 1 {
		t.Fatalf("GetContact = %d, %v; contacts %+v", n, err, srv.Contacts())
	}
}

func TestClientConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t)
	c := clientFor(t, srv)
	const chats, perChat = 8, 5
	errc := make(chan error, chats)
	for i := range chats {
		go func() {
			chatID := fmt.Sprintf("chat-%d", i)
			for j := range perChat {
				if err := c.SendMessage(t.Context(), &planfix.Message{ChatID: chatID, Text: fmt.Sprint(j), Contact: planfix.Contact{ID: chatID, Name: "U"}}); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	for range chats {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	tasks := srv.Tasks()
	if len(tasks) != chats {
		t.Fatalf("tasks = %d, want %d", len(tasks), chats)
	}
	for _, task := range tasks {
		// Sequential per chat, so the comments keep their order.
		var got []string
		for _, cm := range task.Comments {
			got = append(got, cm.Text)
		}
		if diff := cmp.Diff([]string{"0", "1", "2", "3", "4"}, got); diff != "" {
			t.Errorf("%s comments (-want +got):\n%s", task.ChatID, diff)
		}
	}
}
