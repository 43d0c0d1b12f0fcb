package planfixemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/planbridge/planbridge/planfix"
)

// Reply is what an agent writes in a task for the contact.
type Reply struct {
	Text string `json:"message"`
	// Quote is the message the agent replied to; Planfix renders it before
	// the text as ">> " lines followed by an empty ">>" line.
	Quote string `json:"quote,omitempty"`
	// Attachments with an empty URL are hosted by the emulator at /file/<hash>.
	Attachments []planfix.Attachment `json:"attachments,omitempty"`
	// Agent overrides the default agent when non-nil.
	Agent *Agent `json:"agent,omitempty"`
}

// Pending is an agent message written in Planfix but not yet delivered;
// Deliver sends it, in any order and as often as a test wants.
type Pending struct {
	// Message is exactly what is posted, minus the chat token.
	Message planfix.InboundMessage
	task    *Task // nil for a first message until the chat answers
	author  string
}

// Delivery records one post to the chat URL and what the chat answered.
type Delivery struct {
	MessageID string `json:"messageId"`
	ChatID    string `json:"chatId,omitempty"`
	// Attempt is 1 for the first post of a messageId, 2+ for duplicates.
	Attempt int `json:"attempt"`
	// Form is the body sent, token redacted.
	Form    planfix.Form  `json:"-"`
	Status  int           `json:"status"`
	Body    string        `json:"body"`
	Latency time.Duration `json:"latencyNs"`
	// Err is the transport error, if the chat did not answer.
	Err string `json:"error,omitempty"`
	// Ack is the chatId/contactId the chat answered, if it did.
	Ack planfix.Ack `json:"ack"`
	// Problems lists deviations from the protocol in the answer.
	Problems []string `json:"problems,omitempty"`
}

// OK reports whether the chat accepted the message without protocol problems.
func (d Delivery) OK() bool { return d.Err == "" && d.Status == http.StatusOK && len(d.Problems) == 0 }

var errNoChatURL = errors.New("planfixemu: no chat URL to deliver to; start the emulator with --chat-url (WithChat or SetChat in Go)")

func (s *Server) checkChatURL() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.chatURL == "" {
		return errNoChatURL
	}
	return nil
}

// ErrNoChat is returned when an agent replies to a chat without a task.
var ErrNoChat = errors.New("planfixemu: no task for this chat")

// ErrWriteButtonHidden is returned by WriteFirst when the integration hides
// the "Write" button (WithShowWriteButton(false)): agents cannot write first.
var ErrWriteButtonHidden = errors.New(`planfixemu: the integration hides the "Write" button, so agents cannot write first; start the emulator without --no-write-button (WithShowWriteButton(true) in Go)`)

// Reply writes an agent reply into the chat's current task and delivers it
// to the chat URL (plus WithDuplicateDeliveries extra copies). The error is
// non-nil only when nothing could be posted; check Delivery for the answer.
func (s *Server) Reply(ctx context.Context, chatID string, r Reply) (Delivery, error) {
	if err := s.checkChatURL(); err != nil {
		return Delivery{}, err
	}
	p, err := s.PrepareReply(chatID, r)
	if err != nil {
		return Delivery{}, err
	}
	return s.deliverWithDuplicates(ctx, p)
}

// PrepareReply records the agent's comment and returns it undelivered, so a
// test can deliver several out of order or more than once.
func (s *Server) PrepareReply(chatID string, r Reply) (*Pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.current[chatID]
	if t == nil || t.Deleted {
		return nil, fmt.Errorf("%w %q; a chat gets a task with its first newMessage (and a new one after its task was deleted)", ErrNoChat, chatID)
	}
	m := s.agentMessage(r)
	m.ChatID = chatID
	m.Channel = t.Channel
	m.TaskEmail = fmt.Sprintf("task+%d@%s.planfix.test", t.Number, s.cfg.account)
	if ct := s.contactByNumber(t.ContactNumber); ct != nil {
		m.ContactPhone = ct.Phone
	}
	s.addCommentLocked(t, Comment{
		Direction: Out, Author: agentOf(r, s.cfg.agent).Email, Text: m.Text,
		Attachments: m.Attachments, FromType: "WebChatApi", MessageID: m.MessageID,
	})
	return &Pending{Message: m, task: t}, nil
}

// WriteFirst plays an employee pressing "Write" on a contact card: a
// newMessage without chatId but with contactPhone. The chat must answer
// chatId and contactId; the emulator then binds a new task to them. With
// WithShowWriteButton(false) it posts nothing and returns ErrWriteButtonHidden.
func (s *Server) WriteFirst(ctx context.Context, contactPhone string, r Reply) (Delivery, error) {
	if !s.cfg.showWriteButton {
		return Delivery{}, ErrWriteButtonHidden
	}
	if strings.TrimSpace(contactPhone) == "" {
		return Delivery{}, errors.New("planfixemu: WriteFirst needs a contact phone")
	}
	if err := s.checkChatURL(); err != nil {
		return Delivery{}, err
	}
	s.mu.Lock()
	m := s.agentMessage(r)
	m.ContactPhone = contactPhone
	s.mu.Unlock()
	return s.deliverWithDuplicates(ctx, &Pending{Message: m, author: agentOf(r, s.cfg.agent).Email})
}

// Deliver posts a prepared message once more (the first call is the
// original delivery; later calls are duplicates with the same messageId).
func (s *Server) Deliver(ctx context.Context, p *Pending) (Delivery, error) {
	return s.deliver(ctx, p)
}

func (s *Server) deliverWithDuplicates(ctx context.Context, p *Pending) (Delivery, error) {
	d, err := s.deliver(ctx, p)
	if err != nil {
		return d, err
	}
	for i := 0; i < s.cfg.deliveryRetries && (d.Err != "" || d.Status >= 500); i++ {
		t := time.NewTimer(s.cfg.retryDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return d, nil
		case <-t.C:
		}
		if d, err = s.deliver(ctx, p); err != nil {
			return d, err
		}
	}
	for range s.cfg.duplicateDeliveries {
		if _, err := s.deliver(ctx, p); err != nil {
			return d, err
		}
	}
	return d, nil
}

func agentOf(r Reply, def Agent) Agent {
	if r.Agent != nil {
		return *r.Agent
	}
	return def
}

// agentMessage builds the common fields; s.mu is held.
func (s *Server) agentMessage(r Reply) planfix.InboundMessage {
	a := agentOf(r, s.cfg.agent)
	m := planfix.InboundMessage{
		ProviderID:   s.cfg.providerID,
		Text:         s.render(r),
		MessageID:    itoa(s.nextMessage),
		UserName:     a.Name,
		UserLastName: a.LastName,
		UserIco:      fmt.Sprintf("%s/?action=getuserpic&id=%d", s.cfg.baseURL, a.ID),
	}
	s.nextMessage++
	if s.cfg.withIntegration {
		m.Integration = s.cfg.integrationName
	}
	for _, at := range r.Attachments {
		if at.URL == "" {
			h := randomHash(m.MessageID + "/" + at.Name)
			s.files[h] = at.Name
			at.URL = s.cfg.baseURL + "/file/" + h
		}
		m.Attachments = append(m.Attachments, at)
	}
	s.sent[m.MessageID] = 0
	return m
}

func (s *Server) contactByNumber(n int64) *Contact {
	for _, c := range s.contacts {
		if c.Number == n {
			return c
		}
	}
	return nil
}

func (s *Server) deliver(ctx context.Context, p *Pending) (Delivery, error) {
	s.mu.Lock()
	chatURL, chatToken := s.cfg.chatURL, s.cfg.chatToken
	s.sent[p.Message.MessageID]++
	d := Delivery{MessageID: p.Message.MessageID, ChatID: p.Message.ChatID, Attempt: s.sent[p.Message.MessageID]}
	s.mu.Unlock()
	if chatURL == "" {
		return d, errNoChatURL
	}
	form := p.Message.Form(chatToken)
	d.Form = form.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, chatURL, strings.NewReader(form.Encode()))
	if err != nil {
		return d, fmt.Errorf("planfixemu: chat URL %q: %w", chatURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := time.Now()
	resp, err := s.cfg.chatClient.Do(req)
	d.Latency = time.Since(start)
	if err != nil {
		d.Err = err.Error()
		s.record(p, &d)
		return d, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	d.Status, d.Body = resp.StatusCode, string(body)
	s.check(p, resp, body, &d)
	s.record(p, &d)
	return d, nil
}

// check compares the chat's answer with the protocol.
func (s *Server) check(p *Pending, resp *http.Response, body []byte, d *Delivery) {
	if resp.StatusCode != http.StatusOK {
		d.Problems = append(d.Problems, fmt.Sprintf("status %d, want 200", resp.StatusCode))
		return
	}
	first := p.Message.IsFirstMessage()
	strict := first || s.cfg.strictReplyAnswers
	if err := json.Unmarshal(body, &d.Ack); err != nil {
		if strict {
			d.Problems = append(d.Problems, "answer is not JSON {chatId, contactId}")
		}
		return
	}
	if strict && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		d.Problems = append(d.Problems, "Content-Type is not application/json")
	}
	if strict && (d.Ack.ChatID == "" || d.Ack.ContactID == "") {
		d.Problems = append(d.Problems, "answer lacks chatId or contactId")
	}
	if !first && d.Ack.ChatID != "" && d.Ack.ChatID != p.Message.ChatID {
		d.Problems = append(d.Problems, fmt.Sprintf("answer chatId %q differs from %q", d.Ack.ChatID, p.Message.ChatID))
	}
}

// record stores the delivery and applies its effect on tasks.
func (s *Server) record(p *Pending, d *Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries = append(s.deliveries, *d)
	if d.Status == http.StatusBadRequest || d.Status == http.StatusUnauthorized {
		if p.task != nil {
			for i := range p.task.Comments {
				if p.task.Comments[i].MessageID == d.MessageID {
					p.task.Comments[i].DeliveryFailed = true
				}
			}
		}
		return
	}
	if p.Message.IsFirstMessage() && p.task == nil && d.Status == http.StatusOK && d.Ack.ChatID != "" && d.Ack.ContactID != "" {
		s.bindFirstMessage(p, d.Ack)
	}
}

// bindFirstMessage creates the contact and task the chat's answer names; s.mu is held.
func (s *Server) bindFirstMessage(p *Pending, ack planfix.Ack) {
	ct := s.contactByID(ack.ContactID)
	if ct == nil {
		// All the card has is the phone the employee wrote to.
		ct = s.newContactLocked(ack.ContactID)
		ct.Name, ct.Phone = p.Message.ContactPhone, p.Message.ContactPhone
	}
	t, _ := s.openTaskLocked(ack.ChatID, "", "", ct, false)
	s.addCommentLocked(t, Comment{
		Direction: Out, Author: p.author, Text: p.Message.Text,
		Attachments: p.Message.Attachments, FromType: "WebChatApi", MessageID: p.Message.MessageID,
	})
	p.task = t
}

// Link renders a link the way Planfix writes it in message text.
func Link(label, url string) string { return label + " [ " + url + " ]" }

// render builds the message text as Planfix sends it.
func (s *Server) render(r Reply) string {
	text := r.Text
	if r.Quote != "" {
		var b strings.Builder
		for line := range strings.SplitSeq(r.Quote, "\n") {
			b.WriteString(">> " + line + "\n")
		}
		b.WriteString(">>\n")
		text = b.String() + text
	}
	if s.cfg.htmlEntities {
		text = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text)
	}
	return text
}
