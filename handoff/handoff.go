// Package handoff is the engine of the human hand-off to Planfix: a
// conversation on the bot's side (a Botpress hitl conversation, or a REST
// caller's session) bound to a Planfix chat, which Planfix shows as a task
// an agent answers in.
//
// Every message that crosses is first stored, de-duplicated, with an
// outbox item in the same transaction, then delivered by the outbox:
// strictly in order per chat (each chat has its own keys: messages to
// Planfix, delivery statuses to Planfix, deliveries to the bot side, so a
// stalled direction holds up nothing else), retried with backoff, dead
// letters kept. The replica that accepted a message kicks its delivery at
// once, so a person waiting sees it in milliseconds, not at the next
// outbox round.
//
// It is a package of its own rather than part of relay: relay feeds
// Planhat, this one talks to Planfix and Botpress, and neither needs the
// other's clients.
package handoff

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/store"
)

// The outbox kinds of the hand-off.
const (
	// KindPlanfix items go to Planfix: user and bot messages, contact
	// updates and delivery statuses.
	KindPlanfix = "handoff.planfix"
	// KindBot items go to the bot side: agent replies and session events.
	KindBot = "handoff.bot"
)

// PollLease is the store lease whose holder polls Planfix for completed tasks.
const PollLease = "handoff-poll"

// Defaults of Options.
const (
	DefaultPollInterval = 30 * time.Second
	DefaultPollRate     = 2
	DefaultParallel     = 8
)

// Errors callers match with errors.Is.
var (
	// ErrNoSession means no hand-off session matches the chat or conversation.
	ErrNoSession = errors.New("handoff: no such session")
	// ErrStopped means the session ended; the message was not forwarded.
	ErrStopped = errors.New("handoff: the session has ended")
)

// Options configure an Engine.
type Options struct {
	// Store holds sessions and the outbox; required.
	Store store.Store
	// Outbox delivers; required. New registers the hand-off's deliverers on it.
	Outbox *outbox.Outbox
	// Runtime is the template of Botpress Runtime API clients (BaseURL,
	// Token, HTTPClient, retries); the bot and integration ids come from
	// each installation.
	Runtime botpress.ClientOptions
	// PlanfixHTTPClient carries calls to Planfix (the host policy's
	// guarded client in production); nil means a plain client.
	PlanfixHTTPClient *http.Client
	// WebhookHTTPClient posts the REST door's events; nil means a client
	// with a 15 s timeout.
	WebhookHTTPClient *http.Client
	// CheckURL re-checks a stored Planfix endpoint before it is called, as
	// the host policy may have narrowed since it was accepted; nil allows all.
	CheckURL func(raw string) error
	// PlanfixRate paces calls to one Planfix account, per second; 0 means
	// planfix.DefaultRate, negative means no pacing.
	PlanfixRate float64
	// PollInterval is how often each open session's task is checked for
	// completion; 0 means DefaultPollInterval, negative disables polling.
	PollInterval time.Duration
	// PollRate bounds getTask calls per second of the polling replica;
	// 0 means DefaultPollRate.
	PollRate float64
	// Parallel bounds the chats delivered at once in one outbox batch.
	Parallel int
	// Logger receives diagnostics without secrets; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means the outbox's.
	Now func() time.Time
}

// Engine runs hand-offs. Its methods are safe for concurrent use.
type Engine struct {
	opts Options
	st   store.Store
	ob   *outbox.Outbox
	log  *slog.Logger
	now  func() time.Time

	// runCtx bounds kicked deliveries: they outlive the request that
	// caused them.
	runMu  sync.RWMutex
	runCtx context.Context

	mu        sync.Mutex
	installed map[string]string // installation id -> hash of what is stored
	pfClients map[string]*pfEntry
	bpClients map[string]*bpEntry
	agents    map[string]string // installation + agent key -> Botpress user id

	statuses        []statusReport // waiting for writeStatuses
	writingStatuses bool
}

type pfEntry struct {
	hash   string
	client *planfix.Client
}

type bpEntry struct {
	hash   string
	client *botpress.Client
}

// New checks opts, registers the deliverers and returns the engine.
func New(opts Options) (*Engine, error) {
	if opts.Store == nil || opts.Outbox == nil {
		return nil, errors.New("handoff: Options.Store and Options.Outbox are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = opts.Outbox.Now
	}
	opts.PollInterval = cmp.Or(opts.PollInterval, DefaultPollInterval)
	opts.PollRate = cmp.Or(opts.PollRate, DefaultPollRate)
	opts.Parallel = cmp.Or(opts.Parallel, DefaultParallel)
	e := &Engine{
		opts: opts, st: opts.Store, ob: opts.Outbox, log: opts.Logger, now: opts.Now,
		runCtx:    context.Background(),
		installed: map[string]string{}, pfClients: map[string]*pfEntry{}, bpClients: map[string]*bpEntry{}, agents: map[string]string{},
	}
	e.ob.RegisterImmediate(KindPlanfix, outbox.DeliverFunc(e.deliverPlanfix))
	e.ob.RegisterImmediate(KindBot, outbox.DeliverFunc(e.deliverBot))
	return e, nil
}

// Run polls open sessions' tasks until ctx ends (as the holder of
// PollLease) and bounds the deliveries the engine kicks by ctx.
func (e *Engine) Run(ctx context.Context) {
	e.runMu.Lock()
	e.runCtx = ctx
	e.runMu.Unlock()
	if e.opts.PollInterval < 0 {
		<-ctx.Done()
		return
	}
	e.poll(ctx)
}

func (e *Engine) kick(dest, kind string) {
	e.runMu.RLock()
	ctx := e.runCtx
	e.runMu.RUnlock()
	e.ob.Kick(ctx, dest, kind)
}

// SetRuntime replaces the Runtime API template, for a server that learns
// BP_API_URL and BP_TOKEN after building the engine (sandbox mode).
func (e *Engine) SetRuntime(o botpress.ClientOptions) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts.Runtime = o
	clear(e.bpClients)
}

// InstallationID is the id of the installation that delivers with these
// settings: a fingerprint, so ids in outbox items reveal nothing.
func InstallationID(in store.HandoffInstallation) string {
	h := sha256.New()
	for _, s := range []string{in.Endpoint, in.ProviderID, in.BotID, in.IntegrationID, in.WebhookURL} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return "hf_" + hex.EncodeToString(h.Sum(nil)[:12])
}

func installationHash(in store.HandoffInstallation) string {
	in.UpdatedAt = time.Time{}
	b, _ := json.Marshal(struct {
		store.HandoffInstallation
		T, S string
	}{in, in.PlanfixToken, in.WebhookSecret})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ServerInstallationID is the id of the server's own installation (the
// PLANFIX_* settings): it depends on the Planfix account and provider only,
// so changing the webhook URL or a secret keeps the open sessions.
func ServerInstallationID(endpoint, providerID string) string {
	return InstallationID(store.HandoffInstallation{Endpoint: endpoint, ProviderID: providerID, BotID: "server"})
}

// PutInstallation stores the installation's settings (when they changed
// since this process last stored them) and returns it with its id set:
// in.ID when given, InstallationID otherwise.
func (e *Engine) PutInstallation(ctx context.Context, in store.HandoffInstallation) (store.HandoffInstallation, error) {
	if in.ID == "" {
		in.ID = InstallationID(in)
	}
	h := installationHash(in)
	e.mu.Lock()
	same := e.installed[in.ID] == h
	e.mu.Unlock()
	if same {
		return in, nil
	}
	in.UpdatedAt = e.now()
	if err := e.st.Write(ctx, func(tx store.Tx) error { return tx.PutHandoffInstallation(ctx, in) }); err != nil {
		return in, fmt.Errorf("handoff: storing the installation: %w", err)
	}
	e.mu.Lock()
	e.installed[in.ID] = h
	e.mu.Unlock()
	return in, nil
}

// NewChatID returns a fresh Planfix chatId: random, without "~".
func NewChatID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "pb-" + hex.EncodeToString(b[:])
}

// ContactID is the stable Planfix contactId planbridge gives an end user:
// a fingerprint of the email (or of the bot-side user id when there is
// none), so the same person keeps one Planfix contact.
func ContactID(email, userID string) string {
	key := "email:" + strings.ToLower(strings.TrimSpace(email))
	if strings.TrimSpace(email) == "" {
		key = "user:" + userID
	}
	sum := sha256.Sum256([]byte(key))
	return "pb-" + hex.EncodeToString(sum[:12])
}

// Start is a new hand-off.
type Start struct {
	Installation store.HandoffInstallation
	// ChatID is the Planfix chatId (NewChatID); ConversationID the bot side's.
	ChatID         string
	ConversationID string
	UserID         string
	Contact        planfix.Contact
	// Title names the task; sent once, with the opening message.
	Title string
	// Opening is the first message: the description and the transcript.
	Opening string
	// Data fills task custom fields (data_<name>).
	Data map[string]string
}

// StartSession stores the session and queues the opening message, which
// creates the Planfix task.
func (e *Engine) StartSession(ctx context.Context, s Start) error {
	if err := e.ob.Admit(ctx); err != nil {
		return err
	}
	if strings.TrimSpace(s.Opening) == "" {
		s.Opening = "The customer asked for a person."
	}
	now := e.now()
	sess := store.HandoffSession{ChatID: s.ChatID, Installation: s.Installation.ID, ConversationID: s.ConversationID, UserID: s.UserID,
		ContactID: s.Contact.ID, ContactName: s.Contact.Name, ContactEmail: s.Contact.Email, Title: s.Title,
		State: store.HandoffOpen, CreatedAt: now, UpdatedAt: now}
	msg := planfix.Message{ChatID: s.ChatID, Title: s.Title, Text: s.Opening, Contact: s.Contact, Data: s.Data}
	err := e.st.Write(ctx, func(tx store.Tx) error {
		if err := tx.CreateHandoffSession(ctx, sess); err != nil {
			return err
		}
		return enqueue(ctx, tx, now, s.Installation.ID, KindPlanfix, planfixKey(s.ChatID), planfixItem{Op: opMessage, Message: &msg})
	})
	if err != nil {
		return fmt.Errorf("handoff: starting the session: %w", err)
	}
	e.kick(s.Installation.ID, KindPlanfix)
	return nil
}

// BotMessage is a message from the bot side of a hand-off.
type BotMessage struct {
	Installation   string
	ConversationID string
	// MessageID de-duplicates: a second message with the same id is ignored.
	MessageID   string
	Text        string
	Attachments []planfix.Attachment
	// Echo marks the bot's own (or a system) message: it appears in the
	// task as outgoing, authored by the installation's employee.
	Echo bool
}

// PostBotMessage queues a message for the session's Planfix chat. It
// returns the session; ErrNoSession when there is none, ErrStopped (and
// nothing queued) after the session ended.
func (e *Engine) PostBotMessage(ctx context.Context, m BotMessage) (store.HandoffSession, error) {
	sess, err := e.st.HandoffSessionByConversation(ctx, m.Installation, m.ConversationID)
	if errors.Is(err, store.ErrNotFound) {
		return sess, fmt.Errorf("%w: conversation %s has no hand-off", ErrNoSession, m.ConversationID)
	}
	if err != nil {
		return sess, fmt.Errorf("handoff: finding the session: %w", err)
	}
	if sess.State != store.HandoffOpen {
		return sess, ErrStopped
	}
	if err := e.ob.Admit(ctx); err != nil {
		return sess, err
	}
	now := e.now()
	msg := planfix.Message{ChatID: sess.ChatID, Text: m.Text, Attachments: m.Attachments, IsEcho: m.Echo,
		Contact: planfix.Contact{ID: sess.ContactID, Name: sess.ContactName, Email: sess.ContactEmail}}
	stopped := false
	err = e.st.Write(ctx, func(tx store.Tx) error {
		cur, err := tx.LockHandoffSession(ctx, sess.ChatID)
		if err != nil {
			return err
		}
		if cur.State != store.HandoffOpen {
			stopped = true
			return nil
		}
		if m.MessageID != "" {
			fresh, err := tx.RecordHandoffMessage(ctx, store.HandoffMessage{Installation: m.Installation, Origin: store.FromBot, Key: m.MessageID, ChatID: sess.ChatID, At: now})
			if err != nil || !fresh {
				return err
			}
		} else if _, err := tx.RecordHandoffMessage(ctx, store.HandoffMessage{Installation: m.Installation, Origin: store.FromBot,
			Key: "unkeyed-" + rand.Text(), ChatID: sess.ChatID, At: now}); err != nil {
			// A message without an id cannot be de-duplicated, but it is
			// recorded all the same: the console's "last message from the
			// user" reads these records.
			return err
		}
		return enqueue(ctx, tx, now, m.Installation, KindPlanfix, planfixKey(sess.ChatID), planfixItem{Op: opMessage, Message: &msg})
	})
	if err != nil {
		return sess, fmt.Errorf("handoff: queueing the message: %w", err)
	}
	if stopped {
		return sess, ErrStopped
	}
	e.kick(m.Installation, KindPlanfix)
	return sess, nil
}

// StopSession ends the session of a conversation on the bot's request and
// tells the agent in the task. Stopping an ended session does nothing.
func (e *Engine) StopSession(ctx context.Context, installation, conversationID, note string) (store.HandoffSession, error) {
	sess, err := e.st.HandoffSessionByConversation(ctx, installation, conversationID)
	if errors.Is(err, store.ErrNotFound) {
		return sess, fmt.Errorf("%w: conversation %s has no hand-off", ErrNoSession, conversationID)
	}
	if err != nil {
		return sess, fmt.Errorf("handoff: finding the session: %w", err)
	}
	now := e.now()
	err = e.st.Write(ctx, func(tx store.Tx) error {
		cur, err := tx.LockHandoffSession(ctx, sess.ChatID)
		if err != nil || cur.State != store.HandoffOpen {
			return err
		}
		cur.State, cur.StopReason, cur.UpdatedAt = store.HandoffStopped, "bot", now
		if err := tx.UpdateHandoffSession(ctx, cur); err != nil {
			return err
		}
		sess = cur
		msg := planfix.Message{ChatID: cur.ChatID, Text: cmp.Or(note, StoppedNote), IsEcho: true,
			Contact: planfix.Contact{ID: cur.ContactID, Name: cur.ContactName, Email: cur.ContactEmail}}
		return enqueue(ctx, tx, now, installation, KindPlanfix, planfixKey(cur.ChatID), planfixItem{Op: opMessage, Message: &msg})
	})
	if err != nil {
		return sess, fmt.Errorf("handoff: stopping the session: %w", err)
	}
	e.kick(installation, KindPlanfix)
	return sess, nil
}

// Session returns an installation's session for a bot-side conversation,
// or ErrNoSession.
func (e *Engine) Session(ctx context.Context, installation, conversationID string) (store.HandoffSession, error) {
	sess, err := e.st.HandoffSessionByConversation(ctx, installation, conversationID)
	if errors.Is(err, store.ErrNotFound) {
		return sess, fmt.Errorf("%w: conversation %s has no hand-off", ErrNoSession, conversationID)
	}
	return sess, err
}

// StoppedNote tells the agent that the bot took the conversation back.
const StoppedNote = "The conversation was handed back to the bot. Replies written here no longer reach the customer."

// UpdateContact queues an updateContact for a changed end-user profile.
func (e *Engine) UpdateContact(ctx context.Context, installation string, c planfix.Contact) error {
	now := e.now()
	err := e.st.Write(ctx, func(tx store.Tx) error {
		return enqueue(ctx, tx, now, installation, KindPlanfix, "pfc:"+c.ID, planfixItem{Op: opContact, Contact: &c})
	})
	if err != nil {
		return fmt.Errorf("handoff: queueing the contact update: %w", err)
	}
	e.kick(installation, KindPlanfix)
	return nil
}

// ReceiveAgentMessage accepts a Planfix agent's message for installation:
// it is stored once (by its messageId) with its delivery queued, and the
// answer is Planfix's {chatId, contactId}. A message for an ended session
// is accepted and answered, not delivered, and Planfix is told why
// through messageStatus error.
func (e *Engine) ReceiveAgentMessage(ctx context.Context, installation string, msg *planfix.InboundMessage) (planfix.Ack, error) {
	if msg.IsFirstMessage() {
		return planfix.Ack{}, fmt.Errorf("%w: planbridge cannot open a conversation from Planfix (the \"Write\" button); the customer starts it from the bot", planfix.ErrUnknownChat)
	}
	sess, err := e.st.HandoffSession(ctx, msg.ChatID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sess.Installation != installation) {
		return planfix.Ack{}, fmt.Errorf("%w: chat %s", planfix.ErrUnknownChat, msg.ChatID)
	}
	if err != nil {
		return planfix.Ack{}, err
	}
	if err := e.ob.Admit(ctx); err != nil {
		return planfix.Ack{}, err
	}
	now := e.now()
	kicks := map[string]bool{}
	err = e.st.Write(ctx, func(tx store.Tx) error {
		clear(kicks)
		fresh, err := tx.RecordHandoffMessage(ctx, store.HandoffMessage{Installation: installation, Origin: store.FromPlanfix, Key: msg.DedupKey(now), ChatID: msg.ChatID, At: now})
		if err != nil || !fresh {
			return err
		}
		cur, err := tx.LockHandoffSession(ctx, msg.ChatID)
		if err != nil {
			return err
		}
		if cur.State != store.HandoffOpen {
			if msg.MessageID == "" {
				return nil
			}
			kicks[KindPlanfix] = true
			if err := tx.SetHandoffStatus(ctx, msg.ChatID, string(planfix.StatusError), StoppedStatus, now); err != nil {
				return err
			}
			return enqueue(ctx, tx, now, installation, KindPlanfix, statusKey(msg.ChatID),
				planfixItem{Op: opStatus, MessageID: msg.MessageID, Status: string(planfix.StatusError), StatusText: StoppedStatus})
		}
		first := !cur.Assigned
		// The console shows who answers; the row changes only when that does.
		if agent := msg.Author(); first || (agent != "" && agent != cur.AgentName) {
			cur.Assigned, cur.UpdatedAt = true, now
			if agent != "" {
				cur.AgentName = agent
			}
			if err := tx.UpdateHandoffSession(ctx, cur); err != nil {
				return err
			}
		}
		kicks[KindBot] = true
		return enqueue(ctx, tx, now, installation, KindBot, botKey(msg.ChatID), botItem{Op: opAgentMessage, ChatID: msg.ChatID, First: first, Message: msg})
	})
	if err != nil {
		return planfix.Ack{}, fmt.Errorf("handoff: storing the agent's message: %w", err)
	}
	for kind := range kicks {
		e.kick(installation, kind)
	}
	return planfix.Ack{ChatID: sess.ChatID, ContactID: sess.ContactID}, nil
}

// StoppedStatus is the messageStatus text of a reply that came after the end.
const StoppedStatus = "Not delivered: the conversation was handed back to the bot. The customer's next message to a person opens a new task."

// Item payloads.
const (
	opMessage      = "message"
	opStatus       = "status"
	opContact      = "contact"
	opAgentMessage = "agentMessage"
	opStopped      = "stopped"
)

type planfixItem struct {
	Op         string           `json:"op"`
	Message    *planfix.Message `json:"message,omitempty"`
	Contact    *planfix.Contact `json:"contact,omitempty"`
	MessageID  string           `json:"messageId,omitempty"`
	Status     string           `json:"status,omitempty"`
	StatusText string           `json:"statusText,omitempty"`
}

type botItem struct {
	Op     string `json:"op"`
	ChatID string `json:"chatId"`
	// First marks the first agent reply of the session: hitlAssigned follows it.
	First   bool                    `json:"first,omitempty"`
	Message *planfix.InboundMessage `json:"message,omitempty"`
	// Reason says who stopped the session.
	Reason string `json:"reason,omitempty"`
}

func planfixKey(chatID string) string { return "pf:" + chatID }
func statusKey(chatID string) string  { return "pfs:" + chatID }
func botKey(chatID string) string     { return "bot:" + chatID }

func enqueue(ctx context.Context, tx store.Tx, now time.Time, dest, kind, key string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(ctx, store.NewItem{Kind: kind, Dest: dest, Key: key, Payload: b}, now)
	return err
}

// planfixClient returns the (cached) client of an installation.
func (e *Engine) planfixClient(in store.HandoffInstallation) (*planfix.Client, error) {
	h := installationHash(in)
	e.mu.Lock()
	if c := e.pfClients[in.ID]; c != nil && c.hash == h {
		e.mu.Unlock()
		return c.client, nil
	}
	e.mu.Unlock()
	if e.opts.CheckURL != nil {
		if err := e.opts.CheckURL(in.Endpoint); err != nil {
			return nil, fmt.Errorf("the stored Planfix URL is no longer allowed: %w", err)
		}
	}
	var lim *rate.Limiter
	switch {
	case e.opts.PlanfixRate < 0:
		lim = rate.NewLimiter(rate.Inf, 0)
	case e.opts.PlanfixRate > 0:
		lim = rate.NewLimiter(rate.Limit(e.opts.PlanfixRate), max(1, int(e.opts.PlanfixRate)))
	}
	c, err := planfix.NewClient(planfix.ClientConfig{Endpoint: in.Endpoint, PlanfixToken: in.PlanfixToken, ProviderID: in.ProviderID,
		UserEmail: in.UserEmail, HTTPClient: e.opts.PlanfixHTTPClient, Limiter: lim, Logger: e.log, UserAgent: "planbridge"})
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.pfClients[in.ID] = &pfEntry{hash: h, client: c}
	e.mu.Unlock()
	return c, nil
}

// botpressClient returns the (cached) Runtime API client of an installation.
func (e *Engine) botpressClient(in store.HandoffInstallation) (*botpress.Client, error) {
	h := installationHash(in)
	e.mu.Lock()
	if c := e.bpClients[in.ID]; c != nil && c.hash == h {
		e.mu.Unlock()
		return c.client, nil
	}
	o := e.opts.Runtime
	e.mu.Unlock()
	o.BotID, o.IntegrationID, o.IntegrationAlias = in.BotID, in.IntegrationID, in.IntegrationAlias
	// The outbox retries; a client retrying too would hold the chat's
	// other messages while it waits.
	o.MaxRetries = -1
	c, err := botpress.NewClient(o)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.bpClients[in.ID] = &bpEntry{hash: h, client: c}
	e.mu.Unlock()
	return c, nil
}
