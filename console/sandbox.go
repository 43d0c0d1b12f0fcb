package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Sandbox is what the sandbox chat page talks to. Every call goes through
// a public interface: planbridge's own REST door (logConversation, the
// hand-off, getConversation), the Planfix emulator's control API (the
// agent's side) and the sandbox bot's webhook receiver, exactly as a
// newcomer's own bot and scripts would.
type Sandbox struct {
	// ServerURL is planbridge's own base URL.
	ServerURL string
	// APIKey is a key the REST door accepts.
	APIKey string
	// PlanfixURL is the Planfix emulator's base URL.
	PlanfixURL string
	// EventsURL is the sandbox bot's webhook receiver: GET lists the
	// hand-off events planbridge delivered to it.
	EventsURL string
	// CompanyID is the Planhat company the chat is logged on, e.g. extid-seed-company-1.
	CompanyID string
	// BotName is the emulated bot's name.
	BotName string
	// HTTPClient makes the calls; nil means one with a 10 s timeout.
	HTTPClient *http.Client

	mu   sync.Mutex
	chat *sandboxChat
}

// sandboxTurn is one line of the end user's chat.
type sandboxTurn struct {
	// Who is user, bot, agent or system.
	Who  string
	Name string
	Text string
	At   time.Time
}

type sandboxChat struct {
	ID        string
	Turns     []sandboxTurn
	SessionID string
	ChatID    string
	Stopped   bool
	assigned  bool
	seen      map[string]bool
	seq       int
}

func newSandboxChat() *sandboxChat {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &sandboxChat{ID: "console-" + hex.EncodeToString(b[:]), seen: map[string]bool{}}
}

// wantsHuman is how the emulated bot recognises a request for a person.
var wantsHuman = regexp.MustCompile(`(?i)\b(human|person|agent|someone|operator|people)\b`)

func (s *Sandbox) client() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// call posts JSON to url (with the API key when auth is set) and decodes the answer into out.
func (s *Sandbox) call(ctx context.Context, method, url string, auth bool, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+s.APIKey)
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, stripQuery(url), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, stripQuery(url), err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error json.RawMessage `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		msg := string(e.Error)
		var detail struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &detail) == nil && detail.Message != "" {
			msg = detail.Message
		}
		return &callError{status: resp.StatusCode, what: method + " " + stripQuery(url), msg: truncate(strings.Trim(msg, `"`), 300)}
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// callError is a refused call, kept to show the newcomer what the interface said.
type callError struct {
	status int
	what   string
	msg    string
}

func (e *callError) Error() string { return fmt.Sprintf("%s answered %d: %s", e.what, e.status, e.msg) }

func stripQuery(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return u
}

// current returns the chat, starting one when there is none; s.mu is held.
func (s *Sandbox) current() *sandboxChat {
	if s.chat == nil {
		s.chat = newSandboxChat()
	}
	return s.chat
}

// log sends turns to logConversation, so the chat appears in the Planhat emulator.
func (s *Sandbox) log(ctx context.Context, chat *sandboxChat, turns ...sandboxTurn) error {
	var msgs []map[string]string
	for _, t := range turns {
		if t.Who == "system" {
			continue
		}
		chat.seq++
		msgs = append(msgs, map[string]string{"id": fmt.Sprintf("%s-%d", chat.ID, chat.seq), "author": t.Who, "text": t.Text, "name": t.Name, "time": t.At.UTC().Format(time.RFC3339Nano)})
	}
	if len(msgs) == 0 {
		return nil
	}
	in := map[string]any{"conversationId": chat.ID, "companyId": s.CompanyID, "endUserEmail": sandboxUserEmail, "endUserName": sandboxUserName,
		"botName": s.BotName, "messages": msgs}
	return s.call(ctx, http.MethodPost, s.ServerURL+"/v1/actions/logConversation", true, in, nil)
}

const (
	sandboxUserName  = "Sandbox User"
	sandboxUserEmail = "you@sandbox.test"
)

// say is the end user writing: the bot answers, or, once the chat is with
// an agent, the message goes to the agent through the hand-off.
func (s *Sandbox) say(ctx context.Context, text string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	chat := s.current()
	user := sandboxTurn{Who: "user", Name: sandboxUserName, Text: text, At: now}
	chat.Turns = append(chat.Turns, user)
	if chat.SessionID != "" && !chat.Stopped {
		chat.seq++
		err := s.call(ctx, http.MethodPost, s.ServerURL+"/v1/handoffs/"+chat.SessionID+"/messages", true,
			map[string]string{"messageId": fmt.Sprintf("%s-u%d", chat.ID, chat.seq), "text": text}, nil)
		if err != nil {
			return err
		}
		return s.log(ctx, chat, user)
	}
	var reply sandboxTurn
	switch {
	case wantsHuman.MatchString(text):
		reply = sandboxTurn{Who: "bot", Name: s.BotName, Text: "Let me get you a person. An agent will answer here.", At: now}
		chat.Turns = append(chat.Turns, reply)
		var history []map[string]string
		for _, t := range chat.Turns {
			if t.Who == "user" || t.Who == "bot" {
				history = append(history, map[string]string{"author": t.Who, "text": t.Text})
			}
		}
		var started struct {
			SessionID string `json:"sessionId"`
			ChatID    string `json:"chatId"`
		}
		in := map[string]any{"user": map[string]string{"id": chat.ID + "-user", "name": sandboxUserName, "email": sandboxUserEmail},
			"title": "Sandbox chat " + chat.ID, "botName": s.BotName, "history": history}
		if err := s.call(ctx, http.MethodPost, s.ServerURL+"/v1/handoffs", true, in, &started); err != nil {
			return err
		}
		chat.SessionID, chat.ChatID, chat.Stopped, chat.assigned = started.SessionID, started.ChatID, false, false
		chat.Turns = append(chat.Turns, sandboxTurn{Who: "system", Text: "Handed to a Planfix agent (session " + started.SessionID + ", chat " + started.ChatID + ").", At: now})
	case strings.Contains(strings.ToLower(text), "compan"):
		var list struct {
			Companies []struct {
				Name string `json:"name"`
			} `json:"companies"`
		}
		answer := "I could not reach Planhat just now; try again, or ask for a human."
		if err := s.call(ctx, http.MethodPost, s.ServerURL+"/v1/actions/listCompanies", true, map[string]int{"limit": 3}, &list); err == nil {
			var names []string
			for _, c := range list.Companies {
				names = append(names, c.Name)
			}
			answer = "Planhat knows, among others: " + strings.Join(names, ", ") + "."
		}
		reply = sandboxTurn{Who: "bot", Name: s.BotName, Text: answer, At: now}
		chat.Turns = append(chat.Turns, reply)
	default:
		reply = sandboxTurn{Who: "bot", Name: s.BotName, Text: "I am the sandbox bot. Ask me about companies, or ask for a human to talk to a Planfix agent.", At: now}
		chat.Turns = append(chat.Turns, reply)
	}
	return s.log(ctx, chat, user, reply)
}

// webhookEvent is the part of a hand-off event the chat shows.
type webhookEvent struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	SessionID string `json:"sessionId"`
	Reason    string `json:"reason"`
	Message   *struct {
		Text      string `json:"text"`
		AgentName string `json:"agentName"`
	} `json:"message"`
}

// sync takes the hand-off events the bot's webhook received into the chat:
// what the agent wrote, that an agent joined, that the session ended.
func (s *Sandbox) sync(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	chat := s.current()
	if chat.SessionID == "" {
		return nil
	}
	var got struct {
		Events []webhookEvent `json:"events"`
	}
	if err := s.call(ctx, http.MethodGet, s.EventsURL, false, nil, &got); err != nil {
		return err
	}
	var agentTurns []sandboxTurn
	for _, ev := range got.Events {
		if ev.SessionID != chat.SessionID || chat.seen[ev.ID] {
			continue
		}
		chat.seen[ev.ID] = true
		switch ev.Type {
		case "agentMessage":
			if !chat.assigned {
				// planbridge says "assigned" after the first reply it
				// delivered; the chat says it before, where it happened.
				chat.assigned = true
				chat.Turns = append(chat.Turns, sandboxTurn{Who: "system", Text: "An agent took the chat.", At: now})
			}
			if ev.Message != nil {
				t := sandboxTurn{Who: "agent", Name: ev.Message.AgentName, Text: ev.Message.Text, At: now}
				chat.Turns = append(chat.Turns, t)
				agentTurns = append(agentTurns, t)
			}
		case "assigned":
			if !chat.assigned {
				chat.assigned = true
				chat.Turns = append(chat.Turns, sandboxTurn{Who: "system", Text: "An agent took the chat.", At: now})
			}
		case "stopped":
			chat.Stopped = true
			chat.Turns = append(chat.Turns, sandboxTurn{Who: "system", Text: "The hand-off ended (" + ev.Reason + "); the bot answers again.", At: now})
		}
	}
	return s.log(ctx, chat, agentTurns...)
}

// agentComment is a message of the Planfix task, as the agent sees it.
type agentComment struct {
	Direction string `json:"direction"`
	IsEcho    bool   `json:"isEcho"`
	Author    string `json:"author"`
	Text      string `json:"text"`
}

// agentTask is the chat's Planfix task, as the emulator shows it.
type agentTask struct {
	Number   int64          `json:"number"`
	ChatID   string         `json:"chatId"`
	Name     string         `json:"name"`
	Active   bool           `json:"active"`
	Comments []agentComment `json:"comments"`
}

// planhatConversation is the logged conversation, as getConversation answers it.
type planhatConversation struct {
	Found       bool
	Note        string
	Subject     string `json:"subject"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Snippet     string `json:"snippet"`
	// Text is the description as plain text: Planhat stores it as HTML.
	Text string `json:"-"`
}

var (
	htmlBreaks = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li)\s*/?>`)
	htmlTags   = regexp.MustCompile(`<[^>]*>`)
)

// htmlText turns the conversation's HTML description into the text a
// person reads: line breaks where paragraphs end, no tags, entities
// decoded. The template escapes the result again.
func htmlText(s string) string {
	s = htmlBreaks.ReplaceAllString(s, "\n")
	s = htmlTags.ReplaceAllString(s, "")
	return strings.TrimSpace(html.UnescapeString(s))
}

type sandboxView struct {
	ChatID    string
	Turns     []sandboxTurn
	SessionID string
	PlanfixID string
	Stopped   bool
	Tasks     []agentTask
	Planhat   planhatConversation
	Problem   string
}

func (c *Console) sandboxPage(r *http.Request, v *view) (string, error) {
	v.Title, v.Nav, v.Refresh = "Sandbox chat", "sandbox", 2
	s := c.opts.Sandbox
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	sv := sandboxView{}
	if err := s.sync(ctx, c.opts.Now()); err != nil {
		sv.Problem = err.Error()
	}
	s.mu.Lock()
	chat := s.current()
	sv.ChatID, sv.SessionID, sv.PlanfixID, sv.Stopped = chat.ID, chat.SessionID, chat.ChatID, chat.Stopped
	sv.Turns = append([]sandboxTurn(nil), chat.Turns...)
	s.mu.Unlock()
	if sv.PlanfixID != "" {
		var tasks []agentTask
		if err := s.call(ctx, http.MethodGet, s.PlanfixURL+"/_emulator/tasks", false, nil, &tasks); err != nil {
			sv.Problem = err.Error()
		}
		for _, t := range tasks {
			if t.ChatID == sv.PlanfixID {
				sv.Tasks = append(sv.Tasks, t)
			}
		}
	}
	if len(sv.Turns) > 0 {
		var conv planhatConversation
		err := s.call(ctx, http.MethodPost, s.ServerURL+"/v1/actions/getConversation", true, map[string]string{"id": "extid-bot-" + sv.ChatID}, &conv)
		var ce *callError
		switch {
		case err == nil:
			conv.Found = true
			conv.Text = htmlText(conv.Description)
		case errors.As(err, &ce) && ce.status == http.StatusNotFound:
			conv.Note = "Not in Planhat yet: the outbox delivers the conversation within a second or two."
		default:
			conv.Note = "Could not read it: " + err.Error()
		}
		sv.Planhat = conv
	}
	v.Data = sv
	return "sandbox", nil
}

func (c *Console) sandboxSay(_ http.ResponseWriter, r *http.Request, _ session) (string, error) {
	text := strings.TrimSpace(r.PostForm.Get("text"))
	if text == "" {
		return "", badInput("Write a message first.")
	}
	if len(text) > 4000 {
		return "", badInput("The message is longer than 4,000 characters; shorten it.")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	if err := c.opts.Sandbox.say(ctx, text, c.opts.Now()); err != nil {
		return "", sandboxFailed(err)
	}
	return "/console/sandbox", nil
}

func (c *Console) sandboxReply(_ http.ResponseWriter, r *http.Request, _ session) (string, error) {
	text := strings.TrimSpace(r.PostForm.Get("text"))
	if text == "" {
		return "", badInput("Write the agent's reply first.")
	}
	return c.asAgent(r, "/_emulator/reply", map[string]string{"message": text})
}

func (c *Console) sandboxComplete(_ http.ResponseWriter, r *http.Request, _ session) (string, error) {
	return c.asAgent(r, "/_emulator/close-task", map[string]string{})
}

// asAgent posts to the Planfix emulator's control API for the chat's task,
// as the agent's desk would act on it.
func (c *Console) asAgent(r *http.Request, path string, body map[string]string) (string, error) {
	s := c.opts.Sandbox
	s.mu.Lock()
	chatID := s.current().ChatID
	s.mu.Unlock()
	if chatID == "" {
		return "", badInput("No chat is with an agent yet: as the end user, ask for a human first.")
	}
	body["chatId"] = chatID
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	if err := s.call(ctx, http.MethodPost, s.PlanfixURL+path, false, body, nil); err != nil {
		return "", sandboxFailed(err)
	}
	return "/console/sandbox", nil
}

func (c *Console) sandboxNew(_ http.ResponseWriter, _ *http.Request, _ session) (string, error) {
	s := c.opts.Sandbox
	s.mu.Lock()
	s.chat = newSandboxChat()
	s.mu.Unlock()
	return "/console/sandbox", nil
}

// sandboxFailed shows what a public interface refused, as it said it.
func sandboxFailed(err error) error {
	var ce *callError
	if errors.As(err, &ce) {
		return &userError{http.StatusBadGateway, "The sandbox's call was refused: " + ce.Error()}
	}
	return &userError{http.StatusBadGateway, "The sandbox could not reach a service: " + err.Error()}
}
