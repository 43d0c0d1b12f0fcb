package planfix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/internal/syncbuffer"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/planfix/planfixemu"
	"github.com/planbridge/planbridge/planfix/planfixtest"
)

// inbox is a Receiver that keeps messages in memory and de-duplicates by
// messageId, the way the hand-off engine's durable inbox does.
type inbox struct {
	mu       sync.Mutex
	got      []planfix.InboundMessage
	seen     map[string]planfix.Ack
	dups     int
	err      error
	emptyAck bool
	ack      *planfix.Ack // when set, answered for every message
}

func (in *inbox) ReceiveAgentMessage(_ context.Context, m *planfix.InboundMessage) (planfix.Ack, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.err != nil {
		return planfix.Ack{}, in.err
	}
	if ack, ok := in.seen[m.MessageID]; ok && m.MessageID != "" {
		in.dups++
		return ack, nil
	}
	ack := planfix.Ack{ChatID: m.ChatID, ContactID: "contact-of-" + m.ChatID}
	if m.IsFirstMessage() {
		ack = planfix.Ack{ChatID: "chat-" + m.ContactPhone, ContactID: "user-" + m.ContactPhone}
	}
	if in.emptyAck {
		ack = planfix.Ack{}
	}
	if in.ack != nil {
		ack = *in.ack
	}
	if in.seen == nil {
		in.seen = map[string]planfix.Ack{}
	}
	in.seen[m.MessageID] = ack
	in.got = append(in.got, *m)
	return ack, nil
}

func (in *inbox) messages() []planfix.InboundMessage {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]planfix.InboundMessage(nil), in.got...)
}

type chatSide struct {
	srv     *planfixemu.Server
	client  *planfix.Client
	handler *planfix.Handler
	inbox   *inbox
	chatURL string
	logs    *syncbuffer.Buffer
}

// newChatSide wires an emulator, a client and an inbound handler together
// over loopback HTTP.
func newChatSide(t *testing.T, opts ...planfixemu.Option) *chatSide {
	t.Helper()
	cs := &chatSide{inbox: &inbox{}, logs: &syncbuffer.Buffer{}}
	h, err := planfix.NewHandler(planfix.HandlerConfig{
		ProviderID: planfixemu.DefaultProviderID,
		Tokens:     []string{"chat-token-new", planfixemu.DefaultChatToken},
		Receiver:   cs.inbox,
		Logger:     slog.New(slog.NewTextHandler(cs.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	cs.handler = h
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	cs.chatURL = ts.URL + "/planfix/chat"
	cs.srv = planfixtest.NewServer(t, append([]planfixemu.Option{planfixemu.WithChat(cs.chatURL, planfixemu.DefaultChatToken)}, opts...)...)
	cs.client = clientFor(t, cs.srv)
	return cs
}

func (cs *chatSide) userSays(t *testing.T, chatID, text string) {
	t.Helper()
	err := cs.client.SendMessage(t.Context(), &planfix.Message{
		ChatID: chatID, Channel: "web", Text: text,
		Contact: planfix.Contact{ID: "user-" + chatID, Name: "Ivan", Phone: "79051234567"},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAgentReplyReachesHandlerWithEveryField(t *testing.T) {
	t.Parallel()
	cs := newChatSide(t, planfixemu.WithIntegrationName("Botpress"))
	cs.userSays(t, "chat-1", "Hello")
	task, _ := cs.srv.TaskForChat("chat-1")

	agent := planfixemu.Agent{ID: 12, Name: "Мария", LastName: "Иванова", Email: "maria@planfix.test"}
	d, err := cs.srv.Reply(t.Context(), "chat-1", planfixemu.Reply{
		Text:        "Добрый день! See docs [ https://docs.test/a ]\n>> Hello\n>>",
		Attachments: []planfix.Attachment{{Name: "invoice.pdf"}, {Name: "photo.jpg", URL: "https://cdn.test/p.jpg"}},
		Agent:       &agent,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !d.OK() || d.Ack != (planfix.Ack{ChatID: "chat-1", ContactID: "contact-of-chat-1"}) {
		t.Fatalf("delivery = %+v", d)
	}
	got := cs.inbox.messages()
	if len(got) != 1 {
		t.Fatalf("receiver got %d messages, want 1", len(got))
	}
	m := got[0]
	if !strings.HasPrefix(m.Attachments[0].URL, cs.srv.URL+"/file/") {
		t.Fatalf("hosted attachment URL = %q", m.Attachments[0].URL)
	}
	want := planfix.InboundMessage{
		ProviderID: planfixemu.DefaultProviderID, ChatID: "chat-1", Channel: "web", ContactPhone: "79051234567",
		Text: "Добрый день! See docs [ https://docs.test/a ]\n>> Hello\n>>", MessageID: d.MessageID,
		UserName: "Мария", UserLastName: "Иванова", UserIco: cs.srv.URL + "/?action=getuserpic&id=12",
		TaskEmail:   fmt.Sprintf("task+%d@test.planfix.test", task.Number),
		Attachments: []planfix.Attachment{{Name: "invoice.pdf", URL: m.Attachments[0].URL}, {Name: "photo.jpg", URL: "https://cdn.test/p.jpg"}},
		Integration: "Botpress",
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Fatalf("inbound message (-want +got):\n%s", diff)
	}
	if m.Author() != "Мария Иванова" || m.IsFirstMessage() {
		t.Errorf("Author = %q, IsFirstMessage = %v", m.Author(), m.IsFirstMessage())
	}
	// Planfix file and avatar URLs download anonymously.
	for _, u := range []string{m.Attachments[0].URL, m.UserIco} {
		resp, err := (&http.Client{Transport: testTransport}).Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", u, resp.StatusCode)
		}
	}
	// The reply is an outgoing comment of the task, with its messageId.
	task, _ = cs.srv.TaskForChat("chat-1")
	last := task.Comments[len(task.Comments)-1]
	if last.Direction != planfixemu.Out || last.MessageID != d.MessageID || last.Author != "maria@planfix.test" || last.DeliveryFailed {
		t.Errorf("last comment = %+v", last)
	}
	// The chat reports the delivery back; Planfix's bookkeeping shows it.
	if err := cs.client.SetMessageStatus(t.Context(), m.MessageID, planfix.StatusSent, ""); err != nil {
		t.Fatal(err)
	}
	if err := cs.client.SetMessageStatus(t.Context(), m.MessageID, planfix.StatusRead, ""); err != nil {
		t.Fatal(err)
	}
	st := cs.srv.MessageStatuses(m.MessageID)
	if len(st) != 2 || st[0].Status != "sent" || st[1].Status != "read" || !st[1].Known {
		t.Errorf("statuses = %+v", st)
	}
}

func TestDuplicateAndOutOfOrderDeliveries(t *testing.T) {
	t.Parallel()
	cs := newChatSide(t, planfixemu.WithDuplicateDeliveries(2))
	cs.userSays(t, "chat-1", "Hello")
	d, err := cs.srv.Reply(t.Context(), "chat-1", planfixemu.Reply{Text: "once"})
	if err != nil {
		t.Fatal(err)
	}
	ds := cs.srv.Deliveries()
	if len(ds) != 3 {
		t.Fatalf("deliveries = %d, want 3 (1 + 2 duplicates)", len(ds))
	}
	for i, x := range ds {
		if x.MessageID != d.MessageID || x.Attempt != i+1 || !x.OK() {
			t.Errorf("delivery %d = %+v; want the same messageId, attempt %d", i, x, i+1)
		}
	}
	if got := cs.inbox.messages(); len(got) != 1 || cs.inbox.dups != 2 {
		t.Fatalf("receiver kept %d messages and saw %d duplicates, want 1 and 2", len(got), cs.inbox.dups)
	}

	// Out of order: two replies written in order, delivered in reverse.
	p1, err := cs.srv.PrepareReply("chat-1", planfixemu.Reply{Text: "first"})
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := cs.srv.PrepareReply("chat-1", planfixemu.Reply{Text: "second"})
	for _, p := range []*planfixemu.Pending{p2, p1} {
		if _, err := cs.srv.Deliver(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	got := cs.inbox.messages()
	if got[1].Text != "second" || got[2].Text != "first" || got[1].MessageID <= got[2].MessageID {
		t.Fatalf("out-of-order delivery not visible: %+v", got[1:])
	}
	// A late redelivery of p1 is a duplicate by messageId.
	dd, _ := cs.srv.Deliver(t.Context(), p1)
	if dd.Attempt != 2 || cs.inbox.dups != 3 {
		t.Fatalf("redelivery attempt = %d, receiver duplicates = %d", dd.Attempt, cs.inbox.dups)
	}
}

func TestFirstMessageFromPlanfix(t *testing.T) {
	t.Parallel()
	cs := newChatSide(t)
	d, err := cs.srv.WriteFirst(t.Context(), "+79990001122", planfixemu.Reply{Text: "Здравствуйте! Это Planfix."})
	if err != nil {
		t.Fatal(err)
	}
	if !d.OK() || d.Ack != (planfix.Ack{ChatID: "chat-+79990001122", ContactID: "user-+79990001122"}) {
		t.Fatalf("delivery = %+v", d)
	}
	m := cs.inbox.messages()[0]
	if !m.IsFirstMessage() || m.ContactPhone != "+79990001122" || m.ChatID != "" {
		t.Fatalf("first message = %+v", m)
	}
	if f := d.Form; f.Has("chatId") || f.Get("token") != "[redacted]" {
		t.Errorf("first-message form = %q", f.String())
	}
	task, ok := cs.srv.TaskForChat("chat-+79990001122")
	if !ok || len(task.Comments) != 1 || task.Comments[0].Direction != planfixemu.Out {
		t.Fatalf("the emulator did not bind a task to the answered chat: %+v", task)
	}
	// The contact answers in the same chat: the comment joins that task.
	err = cs.client.SendMessage(t.Context(), &planfix.Message{ChatID: "chat-+79990001122", Text: "Hi!",
		Contact: planfix.Contact{ID: "user-+79990001122", Name: "Olga"}})
	if err != nil {
		t.Fatal(err)
	}
	task2, _ := cs.srv.TaskForChat("chat-+79990001122")
	if task2.Number != task.Number || len(task2.Comments) != 2 {
		t.Fatalf("reply went to task %d with %d comments, want task %d with 2", task2.Number, len(task2.Comments), task.Number)
	}
}

func TestFirstMessageWithoutAckIsAnError(t *testing.T) {
	t.Parallel()
	cs := newChatSide(t)
	cs.inbox.emptyAck = true
	d, err := cs.srv.WriteFirst(t.Context(), "+7999", planfixemu.Reply{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != http.StatusInternalServerError || d.OK() {
		t.Fatalf("delivery = %+v, want a 500", d)
	}
	if len(cs.srv.Tasks()) != 0 {
		t.Fatal("a task was bound without chatId/contactId")
	}
}

func TestTokenRotationAndWrongToken(t *testing.T) {
	t.Parallel()
	cs := newChatSide(t)
	cs.userSays(t, "chat-1", "Hello")
	// Previous token (still configured in Planfix) and new token both work.
	for _, tok := range []string{planfixemu.DefaultChatToken, "chat-token-new"} {
		cs.srv.SetChat(cs.chatURL, tok)
		d, err := cs.srv.Reply(t.Context(), "chat-1", planfixemu.Reply{Text: "with " + tok})
		if err != nil || !d.OK() {
			t.Fatalf("token %q: delivery %+v, %v", tok, d, err)
		}
	}
	// Rotation finished: the old token is refused with the documented answer.
	if err := cs.handler.SetTokens("chat-token-new"); err != nil {
		t.Fatal(err)
	}
	cs.srv.SetChat(cs.chatURL, planfixemu.DefaultChatToken)
	d, err := cs.srv.Reply(t.Context(), "chat-1", planfixemu.Reply{Text: "stale"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != http.StatusUnauthorized || d.Body != `{"error":"Invalid token"}` {
		t.Fatalf("stale token: delivery %+v", d)
	}
	task, _ := cs.srv.TaskForChat("chat-1")
	if last := task.Comments[len(task.Comments)-1]; !last.DeliveryFailed {
		t.Errorf("the refused reply is not marked failed in the task: %+v", last)
	}
	if n := len(cs.inbox.messages()); n != 2 {
		t.Fatalf("receiver got %d messages, want 2", n)
	}
	if strings.Contains(cs.logs.String(), planfixemu.DefaultChatToken) {
		t.Fatal("a token reached the logs")
	}
	if err := cs.handler.SetTokens(""); !errors.Is(err, planfix.ErrInvalidConfig) {
		t.Fatalf("SetTokens(\"\") = %v, want ErrInvalidConfig", err)
	}
}

func multipartBody(t *testing.T, fields planfix.Form) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := mw.WriteField(f.Key, f.Value); err != nil {
			t.Fatal(err)
		}
	}
	fw, _ := mw.CreateFormFile("upload", "x.bin")
	_, _ = fw.Write([]byte("ignored"))
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

func TestHandlerAnswers(t *testing.T) {
	t.Parallel()
	valid := "cmd=newMessage&providerId=planbridge&chatId=c1&token=chat-test-token&message=hi&messageId=9"
	mp, mpType := multipartBody(t, planfix.Form{{"cmd", "newMessage"}, {"providerId", "planbridge"}, {"chatId", "c1"},
		{"token", "chat-test-token"}, {"message", "hi"}, {"attachments[name]", "a"}, {"attachments[url]", "https://p/1"}})
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		method      string
		ctype       string
		body        string
		recvErr     error
		wantStatus  int
		wantBody    string
		wantRecv    int
		wantLogPart string
	}{
		{name: "ok", body: valid, wantStatus: 200, wantBody: `{"chatId":"c1","contactId":"contact-of-c1"}`, wantRecv: 1},
		{name: "ok percent-encoded brackets and charset", ctype: form + "; charset=UTF-8",
			body: valid + "&attachments%5Bname%5D=a&attachments%5Burl%5D=https%3A%2F%2Fp%2F1", wantStatus: 200, wantRecv: 1},
		{name: "ok without content type", ctype: "-", body: valid, wantStatus: 200, wantRecv: 1},
		{name: "ok multipart", ctype: mpType, body: mp, wantStatus: 200, wantRecv: 1},
		{name: "ok attachments only", body: "cmd=newMessage&providerId=planbridge&chatId=c1&token=chat-test-token&attachments[name]=a&attachments[url]=https://p/1", wantStatus: 200, wantRecv: 1},
		{name: "wrong token", body: strings.Replace(valid, "chat-test-token", "guess", 1), wantStatus: 401, wantBody: `{"error":"Invalid token"}`, wantLogPart: "invalid chat token"},
		{name: "missing token", body: strings.Replace(valid, "token=chat-test-token&", "", 1), wantStatus: 401, wantBody: `{"error":"Invalid token"}`},
		{name: "token in planfix_token field is not the chat token", body: strings.Replace(valid, "token=", "planfix_token=", 1), wantStatus: 401},
		{name: "other providerId", body: strings.Replace(valid, "providerId=planbridge", "providerId=other", 1), wantStatus: 401},
		{name: "missing providerId", body: strings.Replace(valid, "providerId=planbridge&", "", 1), wantStatus: 400, wantBody: `{"error":"Invalid parameters"}`, wantLogPart: "providerId"},
		{name: "empty providerId", body: strings.Replace(valid, "providerId=planbridge", "providerId=", 1), wantStatus: 400, wantBody: `{"error":"Invalid parameters"}`, wantLogPart: "providerId"},
		{name: "unknown cmd without providerId", body: "cmd=typing&token=chat-test-token", wantStatus: 200, wantBody: `{}`},
		{name: "JSON body", ctype: "application/json", body: `{"cmd":"newMessage","token":"chat-test-token"}`, wantStatus: 400, wantBody: `{"error":"Invalid parameters"}`, wantLogPart: "JSON"},
		{name: "malformed form", body: "cmd=newMessage&token=chat-test-token&message=%zz", wantStatus: 400, wantBody: `{"error":"Invalid parameters"}`},
		{name: "invalid UTF-8", body: valid + "&userName=%ff", wantStatus: 400},
		{name: "broken multipart", ctype: "multipart/form-data; boundary=zzz", body: "--zzz\r\nbroken", wantStatus: 400},
		{name: "no message no attachments", body: strings.Replace(valid, "message=hi", "message=+", 1), wantStatus: 400, wantBody: `{"error":"Invalid parameters"}`},
		{name: "no chatId and no phone", body: strings.Replace(valid, "chatId=c1&", "", 1), wantStatus: 400},
		{name: "missing cmd", body: strings.Replace(valid, "cmd=newMessage&", "", 1), wantStatus: 400},
		{name: "unknown cmd", body: strings.Replace(valid, "cmd=newMessage", "cmd=typing", 1), wantStatus: 200, wantBody: `{}`, wantLogPart: "cmd=typing"},
		{name: "GET", method: http.MethodGet, body: "", wantStatus: 405},
		{name: "too large", body: valid + "&message=" + strings.Repeat("x", 4096), wantStatus: 413},
		{name: "unknown chat", body: valid, recvErr: fmt.Errorf("chat c1: %w", planfix.ErrUnknownChat), wantStatus: 400, wantBody: `{"error":"Invalid parameters"}`},
		{name: "receiver down", body: valid, recvErr: errors.New("database is locked"), wantStatus: 503, wantLogPart: "database is locked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := &inbox{err: tt.recvErr}
			logs := &syncbuffer.Buffer{}
			h, err := planfix.NewHandler(planfix.HandlerConfig{
				ProviderID: "planbridge", Tokens: []string{planfixemu.DefaultChatToken}, Receiver: in,
				Logger: slog.New(slog.NewTextHandler(logs, nil)), MaxBodyBytes: 2048,
			})
			if err != nil {
				t.Fatal(err)
			}
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/planfix/chat", strings.NewReader(tt.body))
			switch tt.ctype {
			case "":
				req.Header.Set("Content-Type", form)
			case "-":
			default:
				req.Header.Set("Content-Type", tt.ctype)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", rec.Code, rec.Body, tt.wantStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %s, want %s", rec.Body, tt.wantBody)
			}
			if n := len(in.messages()); n != tt.wantRecv {
				t.Errorf("receiver got %d messages, want %d", n, tt.wantRecv)
			}
			if tt.wantLogPart != "" && !strings.Contains(logs.String(), tt.wantLogPart) {
				t.Errorf("logs %q lack %q", logs.String(), tt.wantLogPart)
			}
			if strings.Contains(logs.String(), planfixemu.DefaultChatToken) {
				t.Errorf("logs leak the token: %s", logs.String())
			}
		})
	}
}

func TestNewHandlerConfig(t *testing.T) {
	t.Parallel()
	if _, err := planfix.NewHandler(planfix.HandlerConfig{Tokens: []string{"t"}}); !errors.Is(err, planfix.ErrInvalidConfig) {
		t.Errorf("no receiver: %v", err)
	}
	if _, err := planfix.NewHandler(planfix.HandlerConfig{Receiver: &inbox{}}); !errors.Is(err, planfix.ErrInvalidConfig) {
		t.Errorf("no token: %v", err)
	}
}

// FuzzInbound feeds arbitrary bodies to the parser and the handler: no
// panic, only the documented statuses, and whatever parses survives a
// round trip through the encoder Planfix's side uses.
func FuzzInbound(f *testing.F) {
	for _, s := range []string{
		"cmd=newMessage&providerId=planbridge&chatId=c1&token=chat-test-token&message=hi&messageId=9",
		"cmd=newMessage&providerId=planbridge&contactPhone=%2B7999&token=chat-test-token&message=%D0%9F",
		"cmd=newMessage&providerId=planbridge&chatId=c&token=chat-test-token&attachments%5B0%5D%5Burl%5D=https%3A%2F%2Fp%2F1",
		"cmd=newMessage&providerId=p&chatId=c&token=chat-test-token&attachments[url]=u&attachments[url]=v&attachments[name]=n",
		"cmd=typing&token=chat-test-token&providerId=planbridge", "token=%ff", "",
	} {
		f.Add(s)
	}
	h, err := planfix.NewHandler(planfix.HandlerConfig{Tokens: []string{planfixemu.DefaultChatToken}, Receiver: &inbox{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 401, 413:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer %q to %q is not valid JSON", rec.Body, body)
		}
		form, err := planfix.ParseForm(body)
		if err != nil {
			return
		}
		m, err := planfix.ParseInboundMessage(form)
		if err != nil {
			if !errors.Is(err, planfix.ErrInvalidParameters) {
				t.Fatalf("error %v is not ErrInvalidParameters", err)
			}
			return
		}
		if m.ProviderID == "" || (m.ChatID == "" && m.ContactPhone == "") || (strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0) {
			t.Fatalf("accepted an incomplete message %+v", m)
		}
		again, err := planfix.ParseForm(m.Form("t").Encode())
		if err != nil {
			t.Fatal(err)
		}
		m2, err := planfix.ParseInboundMessage(again)
		if err != nil {
			t.Fatalf("re-parsing %+v: %v", m, err)
		}
		if diff := cmp.Diff(m, m2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// BenchmarkInboundHandler measures parsing a documented agent reply, checking the
// token and answering, in process and over loopback HTTP.
func BenchmarkInboundHandler(b *testing.B) {
	body := "cmd=newMessage&providerId=superchat&chatId=EFHASFN1239351&token=202cb962ac59075b964b07152d234b70" +
		"&message=Hello%2C+how+can+I+help+you%3F&userName=Peter&userLastName=Peterson" +
		"&userIco=https%3A%2F%2Faccount_name.planfix.com%2F%3Faction%3Dgetuserpic%26id%3D77" +
		"&attachments[name]=file1.doc&attachments[url]=https%3A%2F%2Faccount_name.planfix.com%2Ffile%2Faadkapdoa5456454" +
		"&attachments[name]=file2.doc&attachments[url]=https%3A%2F%2Faccount_name.planfix.com%2Ffile%2Faadkapdoa5456455" +
		"&messageId=5000&integration=superchat"
	recv := planfix.ReceiverFunc(func(_ context.Context, m *planfix.InboundMessage) (planfix.Ack, error) {
		return planfix.Ack{ChatID: m.ChatID, ContactID: "57487124"}, nil
	})
	h, err := planfix.NewHandler(planfix.HandlerConfig{ProviderID: "superchat", Tokens: []string{"202cb962ac59075b964b07152d234b70"}, Receiver: recv})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("in-process", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/planfix/chat", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("loopback", func(b *testing.B) {
		ts := httptest.NewServer(h)
		defer ts.Close()
		hc := ts.Client()
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			resp, err := hc.Post(ts.URL, "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "req/s")
	})
}

// BenchmarkParseForm measures the ordered decoder alone.
func BenchmarkParseForm(b *testing.B) {
	m := planfix.InboundMessage{ProviderID: "superchat", ChatID: "EFHASFN1239351", Text: "Hello, how can I help you?",
		UserName: "Peter", Attachments: []planfix.Attachment{{Name: "a.doc", URL: "https://a.planfix.com/file/1"}}}
	body := m.Form("tok").Encode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planfix.ParseForm(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAnswerIsJSONWhateverTheIDs checks that the 200 answer stays valid JSON
// and carries the ids unchanged when they hold quotes, backslashes, control
// characters, HTML-significant or non-ASCII characters.
func TestAnswerIsJSONWhateverTheIDs(t *testing.T) {
	t.Parallel()
	h, err := planfix.NewHandler(planfix.HandlerConfig{ProviderID: "planbridge", Tokens: []string{planfixemu.DefaultChatToken}, Receiver: &inbox{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, chatID := range []string{"c1", "c\x01", "c\"q", `c\b`, "a<b>&c", "\x7f", "чат-✓", "tab\tnew\nline", "\u2028"} {
		body := url.Values{"cmd": {"newMessage"}, "providerId": {"planbridge"}, "token": {planfixemu.DefaultChatToken},
			"chatId": {chatID}, "message": {"hi"}}.Encode()
		req := httptest.NewRequest(http.MethodPost, "/planfix/chat", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("chatId %q: status %d (%s)", chatID, rec.Code, rec.Body)
			continue
		}
		var got planfix.Ack
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Errorf("chatId %q: answer %s is not JSON: %v", chatID, rec.Body, err)
			continue
		}
		if want := (planfix.Ack{ChatID: chatID, ContactID: "contact-of-" + chatID}); got != want {
			t.Errorf("chatId %q: answer decodes to %+v, want %+v", chatID, got, want)
		}
	}
}

// TestAckWithInvalidUTF8IsAnError refuses to answer Planfix with an id that
// JSON would rewrite: Planfix would then store an id the receiver never
// sees again.
func TestAckWithInvalidUTF8IsAnError(t *testing.T) {
	t.Parallel()
	for _, ack := range []planfix.Ack{{ChatID: "c\xff", ContactID: "u"}, {ChatID: "c1", ContactID: "u\xc3"}} {
		logs := &syncbuffer.Buffer{}
		h, err := planfix.NewHandler(planfix.HandlerConfig{ProviderID: "planbridge", Tokens: []string{planfixemu.DefaultChatToken},
			Receiver: &inbox{ack: &ack}, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/planfix/chat", strings.NewReader("cmd=newMessage&providerId=planbridge&chatId=c1&token=chat-test-token&message=hi"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusInternalServerError || rec.Body.String() != `{"error":"Internal error"}` {
			t.Errorf("ack %q: answer %d %s, want 500 Internal error", ack, rec.Code, rec.Body)
		}
		if !strings.Contains(logs.String(), "not valid UTF-8") {
			t.Errorf("ack %q: nothing logged: %s", ack, logs)
		}
	}
}
