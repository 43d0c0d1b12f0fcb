package botpress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAPIURL is Botpress Cloud's API, the SDK's BP_API_URL default.
const DefaultAPIURL = "https://api.botpress.cloud"

// Retry defaults follow the SDK's retryConfig.
const (
	DefaultMaxRetries    = 3
	DefaultMaxRetryDelay = 60 * time.Second
	defaultTimeout       = 60 * time.Second
	maxResponseBytes     = 8 << 20
)

// ErrNoToken is returned by NewClient when no Runtime API token is configured.
var ErrNoToken = errors.New("botpress: no Runtime API token: set BP_TOKEN to an Integration Access Key (or a PAT)")

// ErrNoBotID is returned by NewClient without a bot id; every Runtime API
// call is scoped to a bot by x-bot-id.
var ErrNoBotID = errors.New("botpress: no bot id: Runtime API calls need the x-bot-id of the calling installation")

// ClientOptions configures a Runtime API client.
type ClientOptions struct {
	// BaseURL is BP_API_URL; empty means DefaultAPIURL.
	BaseURL string
	// Token is BP_TOKEN, sent as a bearer token; it never appears in errors.
	Token string
	// BotID, IntegrationID and IntegrationAlias are copied from the
	// incoming operation's headers (Request.Client does this).
	BotID            string
	IntegrationID    string
	IntegrationAlias string
	// TraceParent and TraceState propagate W3C trace context.
	TraceParent string
	TraceState  string
	// HTTPClient defaults to a client with a 60 s timeout. It is copied,
	// and the copy follows no redirect (RefuseRedirect).
	HTTPClient *http.Client
	// UserAgent is sent when set.
	UserAgent string
	// MaxRetries is the number of retries after the first attempt; 0 means
	// DefaultMaxRetries, negative disables retries.
	MaxRetries int
	// MaxRetryDelay caps a single wait; 0 means DefaultMaxRetryDelay.
	MaxRetryDelay time.Duration
}

// ClientOptionsFromEnv reads BP_API_URL and BP_TOKEN through getenv, the
// variables the SDK uses.
func ClientOptionsFromEnv(getenv func(string) string) ClientOptions {
	return ClientOptions{BaseURL: getenv("BP_API_URL"), Token: getenv("BP_TOKEN")}
}

// Client calls the Botpress Runtime API on behalf of one installation.
type Client struct {
	opts ClientOptions
	base *url.URL
	hc   *http.Client
}

// NewClient validates opts and returns a client.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.Token == "" {
		return nil, ErrNoToken
	}
	if opts.BotID == "" {
		return nil, ErrNoBotID
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultAPIURL
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("botpress: invalid BP_API_URL %q: want an absolute http(s) URL such as %s", opts.BaseURL, DefaultAPIURL)
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	if opts.MaxRetryDelay <= 0 {
		opts.MaxRetryDelay = DefaultMaxRetryDelay
	}
	hc := &http.Client{Timeout: defaultTimeout}
	if opts.HTTPClient != nil {
		copied := *opts.HTTPClient
		hc = &copied
	}
	hc.CheckRedirect = RefuseRedirect // on a copy: the caller's client may serve others
	return &Client{opts: opts, base: base, hc: hc}, nil
}

// BotID is the bot the client is scoped to.
func (c *Client) BotID() string { return c.opts.BotID }

// IntegrationID is the installation the client acts for.
func (c *Client) IntegrationID() string { return c.opts.IntegrationID }

// ---- users ----

// GetOrCreateUserInput is the body of getOrCreateUser.
type GetOrCreateUserInput struct {
	Tags       map[string]string `json:"tags"`
	Name       string            `json:"name,omitempty"`
	PictureURL string            `json:"pictureUrl,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	// DiscriminateByTags limits matching to these tags; nil means all tags must match.
	DiscriminateByTags []string `json:"discriminateByTags,omitempty"`
}

// CreateUserInput is the body of createUser.
type CreateUserInput struct {
	Tags       map[string]string `json:"tags"`
	Name       string            `json:"name,omitempty"`
	PictureURL string            `json:"pictureUrl,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// UpdateUserInput is the body of updateUser; an empty tag value unsets the tag.
type UpdateUserInput struct {
	Tags       map[string]string `json:"tags,omitempty"`
	Name       string            `json:"name,omitempty"`
	PictureURL string            `json:"pictureUrl,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// ListUsersInput filters listUsers.
type ListUsersInput struct {
	ConversationID string
	Tags           map[string]string
	NextToken      string
}

type userEnvelope struct {
	User User `json:"user"`
}

func (e *userEnvelope) record() *User { return &e.User }

// GetOrCreateUser finds a user by tags or creates it.
func (c *Client) GetOrCreateUser(ctx context.Context, in GetOrCreateUserInput) (*User, error) {
	in.Tags = nonNilTags(in.Tags)
	return single(ctx, c, http.MethodPost, "/v1/chat/users/get-or-create", in, (*userEnvelope).record)
}

// CreateUser creates a user.
func (c *Client) CreateUser(ctx context.Context, in CreateUserInput) (*User, error) {
	in.Tags = nonNilTags(in.Tags)
	return single(ctx, c, http.MethodPost, "/v1/chat/users", in, (*userEnvelope).record)
}

// GetUser fetches a user by id.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	return single(ctx, c, http.MethodGet, "/v1/chat/users/"+pathID(id), nil, (*userEnvelope).record)
}

// UpdateUser changes a user's tags, name, picture or attributes.
func (c *Client) UpdateUser(ctx context.Context, id string, in UpdateUserInput) (*User, error) {
	return single(ctx, c, http.MethodPut, "/v1/chat/users/"+pathID(id), in, (*userEnvelope).record)
}

// ListUsers returns one page of users and the token of the next page ("" at the end).
func (c *Client) ListUsers(ctx context.Context, in ListUsersInput) ([]User, string, error) {
	q := url.Values{}
	setIf(q, "conversationId", in.ConversationID)
	setIf(q, "nextToken", in.NextToken)
	addDotted(q, "tags", in.Tags)
	var out struct {
		Users []User   `json:"users"`
		Meta  listMeta `json:"meta"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/chat/users", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Users, out.Meta.NextToken, nil
}

// AllUsers iterates over every matching user, following nextToken.
func (c *Client) AllUsers(ctx context.Context, in ListUsersInput) iter.Seq2[User, error] {
	return paginate(func(token string) ([]User, string, error) {
		in.NextToken = token
		return c.ListUsers(ctx, in)
	}, in.NextToken)
}

// ---- conversations ----

// GetOrCreateConversationInput is the body of getOrCreateConversation.
type GetOrCreateConversationInput struct {
	Channel            string            `json:"channel"`
	Tags               map[string]string `json:"tags"`
	DiscriminateByTags []string          `json:"discriminateByTags,omitempty"`
}

// CreateConversationInput is the body of createConversation.
type CreateConversationInput struct {
	Channel string            `json:"channel"`
	Tags    map[string]string `json:"tags"`
}

// UpdateConversationInput is the body of updateConversation.
type UpdateConversationInput struct {
	Tags          map[string]string `json:"tags,omitempty"`
	CurrentTaskID string            `json:"currentTaskId,omitempty"`
}

// ListConversationsInput filters listConversations.
type ListConversationsInput struct {
	Channel        string
	Tags           map[string]string
	ParticipantIDs []string
	NextToken      string
}

type conversationEnvelope struct {
	Conversation Conversation `json:"conversation"`
}

func (e *conversationEnvelope) record() *Conversation { return &e.Conversation }

// GetOrCreateConversation finds a conversation by channel and tags or creates it.
func (c *Client) GetOrCreateConversation(ctx context.Context, in GetOrCreateConversationInput) (*Conversation, error) {
	in.Tags = nonNilTags(in.Tags)
	return single(ctx, c, http.MethodPost, "/v1/chat/conversations/get-or-create", in, (*conversationEnvelope).record)
}

// CreateConversation creates a conversation.
func (c *Client) CreateConversation(ctx context.Context, in CreateConversationInput) (*Conversation, error) {
	in.Tags = nonNilTags(in.Tags)
	return single(ctx, c, http.MethodPost, "/v1/chat/conversations", in, (*conversationEnvelope).record)
}

// GetConversation fetches a conversation by id.
func (c *Client) GetConversation(ctx context.Context, id string) (*Conversation, error) {
	return single(ctx, c, http.MethodGet, "/v1/chat/conversations/"+pathID(id), nil, (*conversationEnvelope).record)
}

// UpdateConversation changes a conversation's tags or current task.
func (c *Client) UpdateConversation(ctx context.Context, id string, in UpdateConversationInput) (*Conversation, error) {
	return single(ctx, c, http.MethodPut, "/v1/chat/conversations/"+pathID(id), in, (*conversationEnvelope).record)
}

// ListConversations returns one page of conversations and the next page's token.
func (c *Client) ListConversations(ctx context.Context, in ListConversationsInput) ([]Conversation, string, error) {
	q := url.Values{}
	setIf(q, "channel", in.Channel)
	setIf(q, "nextToken", in.NextToken)
	addDotted(q, "tags", in.Tags)
	for _, id := range in.ParticipantIDs {
		q.Add("participantIds", id)
	}
	var out struct {
		Conversations []Conversation `json:"conversations"`
		Meta          listMeta       `json:"meta"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/chat/conversations", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Conversations, out.Meta.NextToken, nil
}

// AllConversations iterates over every matching conversation.
func (c *Client) AllConversations(ctx context.Context, in ListConversationsInput) iter.Seq2[Conversation, error] {
	return paginate(func(token string) ([]Conversation, string, error) {
		in.NextToken = token
		return c.ListConversations(ctx, in)
	}, in.NextToken)
}

// AddParticipant adds a user to a conversation.
func (c *Client) AddParticipant(ctx context.Context, conversationID, userID string) (*User, error) {
	body := map[string]string{"userId": userID}
	return single(ctx, c, http.MethodPost, "/v1/chat/conversations/"+pathID(conversationID)+"/participants", body, (*participantEnvelope).record)
}

type participantEnvelope struct {
	Participant User `json:"participant"`
}

func (e *participantEnvelope) record() *User { return &e.Participant }

// ---- messages ----

// MessageSchedule delays a message: DateTime (RFC 3339) or Delay (ms).
type MessageSchedule struct {
	DateTime string `json:"dateTime,omitempty"`
	Delay    int64  `json:"delay,omitempty"`
}

// CreateMessageInput is the body of createMessage.
type CreateMessageInput struct {
	Type           string            `json:"type"`
	Payload        any               `json:"payload"`
	UserID         string            `json:"userId"`
	ConversationID string            `json:"conversationId"`
	Tags           map[string]string `json:"tags"`
	Schedule       *MessageSchedule  `json:"schedule,omitempty"`
	// Origin "synthetic" marks messages not typed by a person.
	Origin string `json:"origin,omitempty"`
}

// GetOrCreateMessageInput is the body of getOrCreateMessage: idempotent
// delivery keyed by the external message id tag.
type GetOrCreateMessageInput struct {
	CreateMessageInput
	DiscriminateByTags []string `json:"discriminateByTags,omitempty"`
}

// UpdateMessageInput is the body of updateMessage (the "ack" of message_created).
type UpdateMessageInput struct {
	Tags    map[string]string `json:"tags,omitempty"`
	Payload any               `json:"payload,omitempty"`
}

// ListMessagesInput filters listMessages.
type ListMessagesInput struct {
	ConversationID string
	Tags           map[string]string
	NextToken      string
	AfterDate      string
	BeforeDate     string
}

type messageEnvelope struct {
	Message Message `json:"message"`
}

func (e *messageEnvelope) record() *Message { return &e.Message }

// CreateMessage creates a message (usually incoming, from the external service).
func (c *Client) CreateMessage(ctx context.Context, in CreateMessageInput) (*Message, error) {
	in.Tags = nonNilTags(in.Tags)
	return single(ctx, c, http.MethodPost, "/v1/chat/messages", in, (*messageEnvelope).record)
}

// GetOrCreateMessage creates a message unless one with the same
// discriminating tags exists.
func (c *Client) GetOrCreateMessage(ctx context.Context, in GetOrCreateMessageInput) (*Message, error) {
	in.Tags = nonNilTags(in.Tags)
	return single(ctx, c, http.MethodPost, "/v1/chat/messages/get-or-create", in, (*messageEnvelope).record)
}

// GetMessage fetches a message by id.
func (c *Client) GetMessage(ctx context.Context, id string) (*Message, error) {
	return single(ctx, c, http.MethodGet, "/v1/chat/messages/"+pathID(id), nil, (*messageEnvelope).record)
}

// UpdateMessage changes a message's tags or payload.
func (c *Client) UpdateMessage(ctx context.Context, id string, in UpdateMessageInput) (*Message, error) {
	return single(ctx, c, http.MethodPut, "/v1/chat/messages/"+pathID(id), in, (*messageEnvelope).record)
}

// AckMessage stores external ids on a delivered message (the SDK's ack({tags})).
func (c *Client) AckMessage(ctx context.Context, id string, tags map[string]string) (*Message, error) {
	return c.UpdateMessage(ctx, id, UpdateMessageInput{Tags: nonNilTags(tags)})
}

// ListMessages returns one page of messages and the next page's token.
func (c *Client) ListMessages(ctx context.Context, in ListMessagesInput) ([]Message, string, error) {
	q := url.Values{}
	setIf(q, "conversationId", in.ConversationID)
	setIf(q, "nextToken", in.NextToken)
	setIf(q, "afterDate", in.AfterDate)
	setIf(q, "beforeDate", in.BeforeDate)
	addDotted(q, "tags", in.Tags)
	var out struct {
		Messages []Message `json:"messages"`
		Meta     listMeta  `json:"meta"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/chat/messages", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Messages, out.Meta.NextToken, nil
}

// AllMessages iterates over every matching message.
func (c *Client) AllMessages(ctx context.Context, in ListMessagesInput) iter.Seq2[Message, error] {
	return paginate(func(token string) ([]Message, string, error) {
		in.NextToken = token
		return c.ListMessages(ctx, in)
	}, in.NextToken)
}

// ---- events ----

// CreateEventInput is the body of createEvent. Set the top-level
// ConversationID, UserID and MessageID whenever known (checklist item 3).
type CreateEventInput struct {
	Type           string           `json:"type"`
	Payload        any              `json:"payload"`
	ConversationID string           `json:"conversationId,omitempty"`
	UserID         string           `json:"userId,omitempty"`
	MessageID      string           `json:"messageId,omitempty"`
	WorkflowID     string           `json:"workflowId,omitempty"`
	Schedule       *MessageSchedule `json:"schedule,omitempty"`
}

// CreateEvent emits an integration event to the bot.
func (c *Client) CreateEvent(ctx context.Context, in CreateEventInput) (*Event, error) {
	if in.Payload == nil {
		in.Payload = struct{}{}
	}
	return single(ctx, c, http.MethodPost, "/v1/chat/events", in, (*eventEnvelope).record)
}

type eventEnvelope struct {
	Event Event `json:"event"`
}

func (e *eventEnvelope) record() *Event { return &e.Event }

// ---- states ----

type stateEnvelope struct {
	State State `json:"state"`
}

func (e *stateEnvelope) record() *State { return &e.State }

type stateBody struct {
	Payload any    `json:"payload"`
	Expiry  *int64 `json:"expiry,omitempty"`
}

func statePath(typ StateType, id, name string) string {
	return "/v1/chat/states/" + pathID(string(typ)) + "/" + pathID(id) + "/" + pathID(name)
}

func expiryMillis(d time.Duration) *int64 {
	if d <= 0 {
		return nil
	}
	ms := d.Milliseconds()
	return &ms
}

// GetState reads a state; a state never set is an error matching ErrNotFound.
func (c *Client) GetState(ctx context.Context, typ StateType, id, name string) (*State, error) {
	return single(ctx, c, http.MethodGet, statePath(typ, id, name), nil, (*stateEnvelope).record)
}

// SetState writes a state; payload nil clears it, expiry 0 keeps it forever.
func (c *Client) SetState(ctx context.Context, typ StateType, id, name string, payload any, expiry time.Duration) (*State, error) {
	return single(ctx, c, http.MethodPost, statePath(typ, id, name), stateBody{Payload: payload, Expiry: expiryMillis(expiry)}, (*stateEnvelope).record)
}

// GetOrSetState returns the stored state, or stores payload if there is none.
func (c *Client) GetOrSetState(ctx context.Context, typ StateType, id, name string, payload any, expiry time.Duration) (*State, error) {
	return single(ctx, c, http.MethodPost, statePath(typ, id, name)+"/get-or-set", stateBody{Payload: payload, Expiry: expiryMillis(expiry)}, (*stateEnvelope).record)
}

// PatchState merges payload's top-level fields into a stored state.
func (c *Client) PatchState(ctx context.Context, typ StateType, id, name string, payload any) (*State, error) {
	return single(ctx, c, http.MethodPatch, statePath(typ, id, name), stateBody{Payload: payload}, (*stateEnvelope).record)
}

// ---- integration ----

// ConfigureIntegrationInput is the body of configureIntegration.
type ConfigureIntegrationInput struct {
	Identifier *string `json:"identifier,omitempty"`
	// ScheduleRegisterCall is hourly, daily, weekly, monthly or yearly.
	ScheduleRegisterCall string   `json:"scheduleRegisterCall,omitempty"`
	SandboxIdentifiers   []string `json:"sandboxIdentifiers,omitempty"`
}

// ConfigureIntegration sets the installation's identifier or register schedule.
func (c *Client) ConfigureIntegration(ctx context.Context, in ConfigureIntegrationInput) error {
	return c.do(ctx, http.MethodPost, "/v1/chat/integrations/configure", nil, in, nil)
}

// ---- transport ----

// single sends a call that Botpress answers with one record wrapped in an
// envelope E, e.g. {"user": {...}}, and returns the record that record
// picks out of it.
func single[E, T any](ctx context.Context, c *Client, method, path string, in any, record func(*E) *T) (*T, error) {
	var out E
	if err := c.do(ctx, method, path, nil, in, &out); err != nil {
		return nil, err
	}
	return record(&out), nil
}

type listMeta struct {
	NextToken string `json:"nextToken"`
}

func paginate[T any](page func(token string) ([]T, string, error), first string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		token := first
		seen := map[string]bool{}
		for {
			items, next, err := page(token)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" || seen[next] {
				return
			}
			seen[next] = true
			token = next
		}
	}
}

func nonNilTags(t map[string]string) map[string]string {
	if t == nil {
		return map[string]string{}
	}
	return t
}

func pathID(s string) string { return url.PathEscape(s) }

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// addDotted encodes an object query parameter the way qs does with
// allowDots: tags.k=v, keys sorted for stable URLs.
func addDotted(q url.Values, prefix string, m map[string]string) {
	for _, k := range sortedKeys(m) {
		q.Add(prefix+"."+k, m[k])
	}
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// do sends one API call with the SDK's retry rules: network errors, 5xx on
// idempotent methods, and 429/502 on any method, up to MaxRetries times.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("botpress: encode %s %s body: %w", method, path, err)
		}
		body = b
	}
	target := c.base.String() + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	maxRetries := max(c.opts.MaxRetries, 0)
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, method, target, body)
		var retryAfter time.Duration
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("botpress: %s %s: %w", method, path, ctx.Err())
			}
			if attempt >= maxRetries || errors.Is(err, ErrRedirect) {
				return fmt.Errorf("botpress: %s %s: %w", method, path, redactURLError(err))
			}
		} else {
			apiErr := c.readResponse(resp, method, path, out)
			if apiErr == nil {
				return nil
			}
			var ae *APIError
			if !errors.As(apiErr, &ae) || attempt >= maxRetries || !retryable(method, ae.StatusCode) {
				return apiErr
			}
			retryAfter = ae.RetryAfter
		}
		delay := retryAfter
		if delay <= 0 {
			delay = time.Duration(attempt+1) * time.Second
		}
		delay = min(delay, c.opts.MaxRetryDelay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("botpress: %s %s: %w", method, path, ctx.Err())
		case <-t.C:
		}
	}
}

func retryable(method string, status int) bool {
	if status == http.StatusTooManyRequests || status == http.StatusBadGateway {
		return true
	}
	return status >= 500 && idempotent(method)
}

func (c *Client) send(ctx context.Context, method, target string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	req.Header.Set("x-bot-id", c.opts.BotID)
	setHeaderIf(req.Header, "x-integration-id", c.opts.IntegrationID)
	setHeaderIf(req.Header, "x-integration-alias", c.opts.IntegrationAlias)
	setHeaderIf(req.Header, HeaderTraceParent, c.opts.TraceParent)
	setHeaderIf(req.Header, HeaderTraceState, c.opts.TraceState)
	setHeaderIf(req.Header, "User-Agent", c.opts.UserAgent)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return c.hc.Do(req)
}

func setHeaderIf(h http.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

func (c *Client) readResponse(resp *http.Response, method, path string, out any) error {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("botpress: %s %s: read response: %w", method, path, err)
	}
	if len(data) > maxResponseBytes {
		return fmt.Errorf("botpress: %s %s: response larger than %d bytes", method, path, maxResponseBytes)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil || len(bytes.TrimSpace(data)) == 0 {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("botpress: %s %s: decode response: %w", method, path, err)
		}
		return nil
	}
	ae := &APIError{StatusCode: resp.StatusCode, Method: method, Path: path, RetryAfter: parseRetryDelay(resp.Header, time.Now())}
	var parsed Error
	if json.Unmarshal(data, &parsed) == nil && parsed.Type != "" {
		ae.Body = parsed
	} else {
		ae.Body = Error{Code: resp.StatusCode, Message: boundedText(data, 200)}
	}
	return ae
}

// parseRetryDelay reads RateLimit-Reset, X-RateLimit-Reset (seconds, or a
// Unix time when large) and Retry-After (seconds or an HTTP date).
func parseRetryDelay(h http.Header, now time.Time) time.Duration {
	for _, k := range []string{"RateLimit-Reset", "X-RateLimit-Reset", "Retry-After"} {
		v := strings.TrimSpace(h.Get(k))
		if v == "" {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
			if f > 1e9 { // an absolute Unix timestamp
				d := time.Unix(int64(f), 0).Sub(now)
				if d > 0 {
					return d
				}
				continue
			}
			return time.Duration(f * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return d
			}
		}
	}
	return 0
}

func boundedText(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// redactURLError drops the URL from transport errors: it is not secret, but
// keeping errors short and free of query values is safer.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
