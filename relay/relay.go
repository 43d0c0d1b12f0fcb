// Package relay mirrors bot conversations and engagement into Planhat
// without spending a Planhat call per message: LogConversation and
// TrackActivities store the work durably (the answer comes once it is on
// disk, before Planhat is called) and the outbox delivers it later,
// coalesced into bulk calls inside the token's rate budget.
//
// A logged conversation becomes one Planhat conversation, upserted by
// externalId (a prefix and the bot's conversation id), whose description
// is the whole transcript rebuilt from the stored messages at delivery
// time; so later messages update the same record, a retry or a replayed
// delivery sends the same or a longer transcript, and a message is never
// doubled.
package relay

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/store"
)

// The outbox kinds the relay enqueues and delivers.
const (
	KindConversation = "planhat.conversation"
	KindActivity     = "planhat.activity"
)

// Defaults of Options.
const (
	DefaultConversationType   = "Chatbot"
	DefaultExternalIDPrefix   = "bot-"
	DefaultMaxTranscriptBytes = 60_000
	DefaultEngagementAction   = "Chatted with the bot"
	// MaxMessages is the most messages one LogConversation call takes.
	MaxMessages = 500
	// transcriptMessages bounds how many of a conversation's newest
	// messages are read to build its transcript.
	transcriptMessages = 2000
)

// Options configure a Relay.
type Options struct {
	// Store keeps conversations, messages and outbox items; required.
	Store store.Store
	// Outbox is told of new work and guards the backlog; required.
	Outbox *outbox.Outbox
	// NewClient builds the Planhat client deliveries to a destination use;
	// required. It should pace with the token's shared limiter and wait as
	// long as the budget needs (planhat.Options.MaxWait < 0).
	NewClient func(planhat.Credentials) (*planhat.Client, error)
	// ConversationType is the Planhat conversation type of logged
	// conversations; it must exist in Planhat (an unknown type becomes
	// "note") and must not be a reserved one.
	ConversationType string
	// ExternalIDPrefix is put before the bot's conversation id to make the
	// Planhat conversation's externalId.
	ExternalIDPrefix string
	// MaxTranscriptBytes bounds the transcript in the description; the
	// newest part is kept.
	MaxTranscriptBytes int
	// NoEngagement turns off counting logged conversations as user activity.
	NoEngagement bool
	// EngagementAction names the activity a logged conversation counts as.
	EngagementAction string
	// MaxAttempts is the deliveries an item gets before it is dead; 0 means store.DefaultMaxAttempts.
	MaxAttempts int
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Relay accepts conversation logs and activities and delivers them.
type Relay struct {
	opts Options
	st   store.Store
	ob   *outbox.Outbox
	log  *slog.Logger
	now  func() time.Time

	mu      sync.Mutex
	dests   map[string]bool // destinations stored by this process
	clients map[string]*planhat.Client
}

// ConfigError is a setting the relay cannot work with.
type ConfigError struct{ Setting, Message string }

// Error says which setting and what to do.
func (e *ConfigError) Error() string { return e.Setting + ": " + e.Message }

// CheckConversationType refuses a type planbridge must not create.
func CheckConversationType(t string) error {
	t = strings.TrimSpace(t)
	if t == "" {
		return &ConfigError{"conversation type", "is empty: name the Planhat conversation type for bot conversations, e.g. Chatbot"}
	}
	for _, r := range planhat.ReservedConversationTypes {
		if strings.EqualFold(t, r) {
			return &ConfigError{"conversation type", fmt.Sprintf("%q is reserved by Planhat (email, chat, ticket and call cannot be created over the API): create a type such as Chatbot under Settings > Conversation types and use that", t)}
		}
	}
	return nil
}

// New checks opts and returns a Relay.
func New(opts Options) (*Relay, error) {
	if opts.Store == nil || opts.Outbox == nil || opts.NewClient == nil {
		return nil, errors.New("relay: Options.Store, Outbox and NewClient are required")
	}
	opts.ConversationType = cmp.Or(strings.TrimSpace(opts.ConversationType), DefaultConversationType)
	if err := CheckConversationType(opts.ConversationType); err != nil {
		return nil, err
	}
	opts.ExternalIDPrefix = cmp.Or(opts.ExternalIDPrefix, DefaultExternalIDPrefix)
	opts.MaxTranscriptBytes = cmp.Or(opts.MaxTranscriptBytes, DefaultMaxTranscriptBytes)
	if opts.MaxTranscriptBytes < 1000 {
		return nil, &ConfigError{"transcript limit", "must be at least 1000 bytes"}
	}
	opts.EngagementAction = cmp.Or(opts.EngagementAction, DefaultEngagementAction)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Relay{opts: opts, st: opts.Store, ob: opts.Outbox, log: opts.Logger, now: opts.Now,
		dests: map[string]bool{}, clients: map[string]*planhat.Client{}}, nil
}

// Deliverers are the outbox deliverers of the relay's kinds.
func (r *Relay) Deliverers() map[string]outbox.Deliverer {
	out := r.recordDeliverers()
	out[KindConversation] = outbox.DeliverFunc(r.deliverConversations)
	out[KindActivity] = outbox.DeliverFunc(r.deliverActivities)
	return out
}

// Author is who wrote a message.
type Author string

// The authors of messages.
const (
	AuthorUser  Author = "user"
	AuthorBot   Author = "bot"
	AuthorAgent Author = "agent"
)

// Message is one turn to log.
type Message struct {
	// ID is the bot's message id; a message whose id the conversation already has is skipped.
	ID     string
	Author Author
	Name   string
	Text   string
	Time   time.Time
}

// Conversation is a LogConversation request.
type Conversation struct {
	// ID is the bot's conversation id; required.
	ID string
	// CompanyID is a Planhat company id or an extid-/srcid- keyable; when
	// empty, the company of the contact EndUserEmail finds.
	CompanyID    string
	EndUserEmail string
	EndUserName  string
	BotName      string
	Subject      string
	Messages     []Message
}

// Logged is what LogConversation stored.
type Logged struct {
	// Accepted counts the messages now stored (new and already known).
	Accepted int
	// Duplicates counts messages skipped because their id was already stored.
	Duplicates int
	// Engagement reports whether an activity was queued for the end user.
	Engagement bool
}

// InputError is a request the relay refuses; Field names the input.
type InputError struct{ Field, Message string }

// Error names the field.
func (e *InputError) Error() string { return e.Field + ": " + e.Message }

// DestinationID is the fingerprint work for these credentials is stored
// under: the same tenant and token give the same id, and the id reveals
// neither.
func DestinationID(c planhat.Credentials) string {
	h := sha256.New()
	for _, p := range []string{c.BaseURL, c.AnalyticsURL, c.Token, c.TenantToken, fmt.Sprint(c.Auth)} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "ph_" + hex.EncodeToString(h.Sum(nil)[:12])
}

// putDestination stores the credentials once per process (and again
// whenever this process has not stored them), in the same transaction as
// the work that needs them.
func (r *Relay) putDestination(ctx context.Context, tx store.Tx, id string, c planhat.Credentials, now time.Time) error {
	r.mu.Lock()
	known := r.dests[id]
	r.mu.Unlock()
	if known {
		return nil
	}
	return tx.PutDestination(ctx, store.Destination{ID: id, APIURL: c.BaseURL, AnalyticsURL: c.AnalyticsURL, Token: c.Token, Tenant: c.TenantToken, UpdatedAt: now})
}

func (r *Relay) destinationStored(id string) {
	r.mu.Lock()
	r.dests[id] = true
	r.mu.Unlock()
}

// LogConversation stores the messages of a bot conversation and queues
// its delivery to the tenant c works for. It returns once the messages are
// durable.
func (r *Relay) LogConversation(ctx context.Context, c *planhat.Client, in Conversation) (Logged, error) {
	if err := validate(in); err != nil {
		return Logged{}, err
	}
	if err := r.ob.Admit(ctx); err != nil {
		return Logged{}, err
	}
	creds := c.Credentials()
	if creds.Token == "" {
		return Logged{}, planhat.ErrNoToken
	}
	dest := DestinationID(creds)
	now := r.now()
	msgs := make([]store.Message, len(in.Messages))
	userTurns := 0
	for i, m := range in.Messages {
		msgs[i] = store.Message{MessageID: m.ID, Author: string(m.Author), Name: m.Name, Text: m.Text, Time: m.Time, ReceivedAt: now}
		if m.Author == AuthorUser {
			userTurns++
		}
	}
	engage := !r.opts.NoEngagement && in.EndUserEmail != "" && creds.TenantToken != "" && userTurns > 0
	var out Logged
	payload, _ := json.Marshal(conversationItem{ConversationID: in.ID})
	err := r.st.Write(ctx, func(tx store.Tx) error {
		out = Logged{}
		if err := r.putDestination(ctx, tx, dest, creds, now); err != nil {
			return err
		}
		if err := tx.UpsertConversation(ctx, store.ConversationUpdate{Dest: dest, ID: in.ID, CompanyID: in.CompanyID,
			EndUserEmail: in.EndUserEmail, EndUserName: in.EndUserName, BotName: in.BotName, Subject: in.Subject, Now: now}); err != nil {
			return err
		}
		added, err := tx.AppendMessages(ctx, dest, in.ID, msgs)
		if err != nil {
			return err
		}
		out.Accepted, out.Duplicates = len(msgs), len(msgs)-added
		if added == 0 {
			return nil
		}
		if _, err := tx.Enqueue(ctx, store.NewItem{Kind: KindConversation, Dest: dest, Key: in.ID, Coalesce: in.ID, Payload: payload, MaxAttempts: r.opts.MaxAttempts}, now); err != nil {
			return err
		}
		if engage {
			act := activityItem{Email: in.EndUserEmail, Name: in.EndUserName, Action: r.opts.EngagementAction, Count: userTurns,
				Date: now, Info: map[string]any{"conversationId": in.ID}}
			if ext, ok := strings.CutPrefix(in.CompanyID, "extid-"); ok {
				act.CompanyExternalID = ext
			}
			if in.BotName != "" {
				act.Info["bot"] = in.BotName
			}
			b, err := json.Marshal(act)
			if err != nil {
				return err
			}
			if _, err := tx.Enqueue(ctx, store.NewItem{Kind: KindActivity, Dest: dest, Payload: b, MaxAttempts: r.opts.MaxAttempts}, now); err != nil {
				return err
			}
			out.Engagement = true
		}
		return nil
	})
	if err != nil {
		return Logged{}, fmt.Errorf("relay: storing the conversation: %w", err)
	}
	r.destinationStored(dest)
	r.ob.Notify()
	return out, nil
}

func validate(in Conversation) error {
	if strings.TrimSpace(in.ID) == "" {
		return &InputError{"conversationId", "required: the bot's conversation id"}
	}
	if len(in.ID) > 200 {
		return &InputError{"conversationId", "must be at most 200 characters"}
	}
	if in.CompanyID == "" && strings.TrimSpace(in.EndUserEmail) == "" {
		return &InputError{"companyId", "required unless endUserEmail names a contact whose company Planhat knows"}
	}
	if n := len(in.Messages); n < 1 || n > MaxMessages {
		return &InputError{"messages", fmt.Sprintf("must hold 1 to %d messages, not %d", MaxMessages, n)}
	}
	for i, m := range in.Messages {
		switch m.Author {
		case AuthorUser, AuthorBot, AuthorAgent:
		default:
			return &InputError{fmt.Sprintf("messages[%d].author", i), fmt.Sprintf("%q: must be user, bot or agent", m.Author)}
		}
		if strings.TrimSpace(m.Text) == "" {
			return &InputError{fmt.Sprintf("messages[%d].text", i), "required: the message's text"}
		}
	}
	return nil
}

// TrackActivities queues activities for the analytics bulk endpoint of
// c's tenant and returns once they are durable.
func (r *Relay) TrackActivities(ctx context.Context, c *planhat.Client, acts []planhat.Activity) (int, error) {
	creds := c.Credentials()
	if creds.TenantToken == "" {
		return 0, planhat.ErrNoTenantToken
	}
	if err := r.ob.Admit(ctx); err != nil {
		return 0, err
	}
	dest := DestinationID(creds)
	now := r.now()
	payloads := make([][]byte, len(acts))
	for i, a := range acts {
		b, err := json.Marshal(fromActivity(a))
		if err != nil {
			return 0, fmt.Errorf("relay: encoding activity %d: %w", i, err)
		}
		payloads[i] = b
	}
	err := r.st.Write(ctx, func(tx store.Tx) error {
		if err := r.putDestination(ctx, tx, dest, creds, now); err != nil {
			return err
		}
		for _, p := range payloads {
			if _, err := tx.Enqueue(ctx, store.NewItem{Kind: KindActivity, Dest: dest, Payload: p, MaxAttempts: r.opts.MaxAttempts}, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("relay: storing activities: %w", err)
	}
	r.destinationStored(dest)
	r.ob.Notify()
	return len(acts), nil
}

// conversationItem is the payload of a conversation item: the content is
// read from the store when it is delivered.
type conversationItem struct {
	ConversationID string `json:"conversationId"`
}

// activityItem is the payload of an activity item.
type activityItem struct {
	Email             string         `json:"email,omitempty"`
	ExternalID        string         `json:"externalId,omitempty"`
	Name              string         `json:"name,omitempty"`
	CompanyExternalID string         `json:"companyExternalId,omitempty"`
	Action            string         `json:"action,omitempty"`
	Weight            float64        `json:"weight,omitempty"`
	Count             int            `json:"count,omitempty"`
	Date              time.Time      `json:"date,omitzero"`
	Info              map[string]any `json:"info,omitempty"`
}

func fromActivity(a planhat.Activity) activityItem {
	return activityItem{Email: a.Email, ExternalID: a.ExternalID, Name: a.Name, CompanyExternalID: a.CompanyExternalID,
		Action: a.Action, Weight: a.Weight, Count: a.Count, Date: a.Date, Info: a.Info}
}

func (a activityItem) activity() planhat.Activity {
	return planhat.Activity{Email: a.Email, ExternalID: a.ExternalID, Name: a.Name, CompanyExternalID: a.CompanyExternalID,
		Action: a.Action, Weight: a.Weight, Count: a.Count, Date: a.Date, Info: a.Info}
}

// client returns the delivery client of a destination.
func (r *Relay) client(ctx context.Context, dest string) (*planhat.Client, error) {
	r.mu.Lock()
	c := r.clients[dest]
	r.mu.Unlock()
	if c != nil {
		return c, nil
	}
	d, err := r.st.Destination(ctx, dest)
	if err != nil {
		return nil, fmt.Errorf("reading destination %s: %w", dest, err)
	}
	c, err = r.opts.NewClient(planhat.Credentials{BaseURL: d.APIURL, AnalyticsURL: d.AnalyticsURL, Token: d.Token, TenantToken: d.Tenant})
	if err != nil {
		return nil, fmt.Errorf("building the Planhat client of destination %s: %w", dest, err)
	}
	r.mu.Lock()
	if have := r.clients[dest]; have != nil {
		c = have
	} else {
		r.clients[dest] = c
	}
	r.mu.Unlock()
	return c, nil
}

// verdictFor sorts a whole-call failure: wait when Planhat said 429,
// retry what may pass later, and fail at once what cannot.
func verdictFor(err error) outbox.Result {
	if errors.Is(err, planhat.ErrRateLimited) {
		after, _ := planhat.RetryAfter(err)
		return outbox.Result{Verdict: outbox.Snooze, Err: err, After: after}
	}
	var ve *planhat.ValidationError
	if errors.As(err, &ve) || errors.Is(err, planhat.ErrNoTenantToken) || errors.Is(err, planhat.ErrDestinationRefused) {
		return outbox.Result{Verdict: outbox.Fail, Err: err}
	}
	return outbox.Result{Verdict: outbox.Retry, Err: err}
}

// deliverActivities sends the batch in one analytics bulk call (split by
// the client only beyond the host's 32 MB cap).
func (r *Relay) deliverActivities(ctx context.Context, dest string, items []store.Item) []outbox.Result {
	res := make([]outbox.Result, len(items))
	c, err := r.client(ctx, dest)
	if err != nil {
		return outbox.All(len(items), outbox.Result{Verdict: outbox.Retry, Err: err})
	}
	var acts []planhat.Activity
	var idx []int
	for i, it := range items {
		var a activityItem
		if err := json.Unmarshal(it.Payload, &a); err != nil {
			res[i] = outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("unreadable activity: %w", err)}
			continue
		}
		act := a.activity()
		if strings.TrimSpace(act.Email) == "" && strings.TrimSpace(act.ExternalID) == "" {
			res[i] = outbox.Result{Verdict: outbox.Fail, Err: errors.New("the activity names no contact (email or externalId)")}
			continue
		}
		acts = append(acts, act)
		idx = append(idx, i)
	}
	if len(acts) == 0 {
		return res
	}
	v := outbox.Result{Verdict: outbox.Delivered}
	if err := c.TrackBatch(ctx, acts); err != nil {
		v = verdictFor(err)
	}
	for _, i := range idx {
		res[i] = v
	}
	return res
}
