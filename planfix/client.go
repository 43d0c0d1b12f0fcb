package planfix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// Defaults used when ClientConfig leaves a field zero.
const (
	// DefaultTimeout bounds one call when the caller's context has no
	// earlier deadline.
	DefaultTimeout = 15 * time.Second
	// DefaultRate is the conservative request rate toward one Planfix
	// account; Planfix documents no limit for /webchat/api and 1 req/s for REST.
	DefaultRate = 5
	// maxResponseBytes caps how much of an answer is read.
	maxResponseBytes = 1 << 20
)

// ClientConfig configures a Client for one Planfix chat integration.
type ClientConfig struct {
	// Endpoint is the exact URL from Planfix's integration settings, e.g.
	// https://account.planfix.com/webchat/api or a custom domain. Required.
	Endpoint string
	// PlanfixToken is the Planfix key from the same settings window. Required.
	PlanfixToken string
	// ProviderID identifies this chat system to Planfix; no "~". Required.
	ProviderID string
	// UserEmail is the default author of isEcho messages (a Planfix
	// employee's email); empty lets Planfix pick its own default.
	UserEmail string
	// HTTPClient is copied, never mutated; its CheckRedirect is replaced so
	// that redirects are reported, not followed. Nil means a client with
	// DefaultTimeout.
	HTTPClient *http.Client
	// Limiter paces all calls of this client; nil means DefaultRate per
	// second. Use rate.NewLimiter(rate.Inf, 0) to disable.
	Limiter *rate.Limiter
	// Logger receives one debug line per call (never a token); nil discards.
	Logger *slog.Logger
	// UserAgent is sent on every request; empty means "planbridge-planfix".
	UserAgent string
}

// Client sends the five chat → Planfix commands. It never retries: a
// newMessage has no idempotency key, so retries belong to the caller's
// durable outbox (see IsRetryable and NotDelivered). Safe for concurrent use.
type Client struct {
	endpoint   string
	token      string
	providerID string
	userEmail  string
	http       *http.Client
	limiter    *rate.Limiter
	log        *slog.Logger
	userAgent  string
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: endpoint %q is not an absolute http(s) URL; copy it from Planfix → Account management → Integrations → Chats → Planfix API for chats", ErrInvalidConfig, cfg.Endpoint)
	}
	if cfg.PlanfixToken == "" {
		return nil, fmt.Errorf("%w: the Planfix token is empty; copy it from the integration settings in Planfix", ErrInvalidConfig)
	}
	if err := checkProviderID(cfg.ProviderID); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	hc := &http.Client{Timeout: DefaultTimeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	lim := cfg.Limiter
	if lim == nil {
		lim = rate.NewLimiter(DefaultRate, DefaultRate)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "planbridge-planfix"
	}
	return &Client{
		endpoint: cfg.Endpoint, token: cfg.PlanfixToken, providerID: cfg.ProviderID,
		userEmail: cfg.UserEmail, http: hc, limiter: lim, log: log, userAgent: ua,
	}, nil
}

// ProviderID returns the providerId this client sends.
func (c *Client) ProviderID() string { return c.providerID }

func checkProviderID(p string) error {
	switch {
	case p == "":
		return errors.New("providerId is empty; use the identifier entered in Planfix's integration settings")
	case strings.Contains(p, "~"):
		return fmt.Errorf("providerId %q contains \"~\", which Planfix forbids; choose another identifier", p)
	case !utf8.ValidString(p):
		return errors.New("providerId is not valid UTF-8")
	}
	return nil
}

// Contact is the end user's card as the chat knows it. ID is the chat
// side's own stable user id: changing it makes Planfix create a duplicate contact.
type Contact struct {
	ID       string `json:"contactId"`
	Name     string `json:"contactName"`
	LastName string `json:"contactLastName,omitempty"`
	Ico      string `json:"contactIco,omitempty"`
	Email    string `json:"contactEmail,omitempty"`
	Phone    string `json:"contactPhone,omitempty"`
	Data     string `json:"contactData,omitempty"`
}

// Message is a chat → Planfix newMessage.
type Message struct {
	// ChatID is the stable conversation id; required.
	ChatID string
	// Channel routes Planfix's replies when one providerId serves several
	// bots or channels; Planfix sends it back.
	Channel string
	// Title names the task. Planfix renames the task each time it is sent,
	// so set it on the first message of a chat only.
	Title string
	// Text is the message body; when empty, the attachment names are sent instead.
	Text string
	// Contact is required (ID and Name).
	Contact Contact
	// Attachments are public URLs Planfix downloads.
	Attachments []Attachment
	// IsEcho marks a message written by the business side (bot or operator
	// outside Planfix); it appears in the task as outgoing.
	IsEcho bool
	// UserEmail is the Planfix employee shown as author of an echo
	// message; empty falls back to ClientConfig.UserEmail.
	UserEmail string
	// Data fills task custom fields by exact name (sent as data_<name>).
	Data map[string]string
}

// MessageStatus is the delivery state reported back for a Planfix message.
type MessageStatus string

// The statuses Planfix shows as ticks; anything else counts as sent.
const (
	StatusSent  MessageStatus = "sent"
	StatusRead  MessageStatus = "read"
	StatusError MessageStatus = "error"
)

// TaskInfo is getTask's answer.
type TaskInfo struct {
	// Number is the task number (the id the REST API's /task/{id} expects).
	Number int64
	// StatusIsActive is nil when Planfix did not say; false means the
	// next message may open a new task.
	StatusIsActive *bool
}

// SendMessage delivers one newMessage. An empty Text is replaced by the
// attachment names so Planfix never sees an empty message.
func (c *Client) SendMessage(ctx context.Context, m *Message) error {
	f, err := c.MessageForm(m)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, "newMessage", f)
	return err
}

// MessageForm validates m and returns the exact newMessage body the client
// would send, for inspection and golden tests.
func (c *Client) MessageForm(m *Message) (Form, error) {
	const cmd = "newMessage"
	if m == nil {
		return nil, &ValidationError{cmd, "message", "is nil"}
	}
	// Named once: the names are both the fallback text and what is sent
	// with the files.
	named := namedAttachments(m.Attachments)
	text := m.Text
	if strings.TrimSpace(text) == "" {
		text = attachmentText(named)
	}
	for _, chk := range []struct{ field, value string }{
		{"chatId", m.ChatID}, {"contactId", m.Contact.ID}, {"contactName", m.Contact.Name}, {"message", text},
	} {
		if strings.TrimSpace(chk.value) == "" {
			return nil, &ValidationError{cmd, chk.field, "is required; Planfix answers 400 without it"}
		}
	}
	for i, a := range m.Attachments {
		if a.URL == "" {
			return nil, &ValidationError{cmd, fmt.Sprintf("attachments[%d].url", i), "is empty; Planfix needs a public URL to download the file"}
		}
	}
	if _, ok := m.Data[""]; ok {
		return nil, &ValidationError{cmd, "data", "has an empty field name; use the exact name of the task's custom field"}
	}
	if err := checkIDs(cmd, m.ChatID, m.Contact.ID); err != nil {
		return nil, err
	}
	f := Form{{"cmd", cmd}, {"providerId", c.providerID}}
	f.AddNonEmpty("channel", m.Channel)
	f.Add("chatId", m.ChatID)
	f.Add("planfix_token", c.token)
	f.Add("message", text)
	f.AddNonEmpty("title", m.Title)
	f.addContact(m.Contact)
	f.addAttachments(named)
	if m.IsEcho {
		f.Add("isEcho", "1")
		ue := m.UserEmail
		if ue == "" {
			ue = c.userEmail
		}
		f.AddNonEmpty("userEmail", ue)
	} else {
		f.AddNonEmpty("userEmail", m.UserEmail)
	}
	f.addData(m.Data)
	if err := checkUTF8(cmd, f); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Form) addContact(ct Contact) {
	f.Add("contactId", ct.ID)
	f.Add("contactName", ct.Name)
	f.AddNonEmpty("contactLastName", ct.LastName)
	f.AddNonEmpty("contactIco", ct.Ico)
	f.AddNonEmpty("contactEmail", ct.Email)
	f.AddNonEmpty("contactPhone", ct.Phone)
	f.AddNonEmpty("contactData", ct.Data)
}

// namedAttachments gives every attachment a file name, taken from its URL
// when the caller left it empty: Planfix stores the file under the name it
// is sent, and an empty attachments[name] would leave it nameless.
func namedAttachments(as []Attachment) []Attachment {
	out := make([]Attachment, len(as))
	for i, a := range as {
		if strings.TrimSpace(a.Name) == "" {
			a.Name = nameFromURL(a.URL)
		}
		out[i] = a
	}
	return out
}

// attachmentText is the message sent for an attachments-only message; as
// must already be named (namedAttachments).
func attachmentText(as []Attachment) string {
	if len(as) == 0 {
		return ""
	}
	names := make([]string, 0, len(as))
	for _, a := range as {
		names = append(names, a.Name)
	}
	return "📎 " + strings.Join(names, ", ")
}

func checkIDs(cmd string, ids ...string) error {
	for _, id := range ids {
		if strings.Contains(id, "~") {
			return &ValidationError{cmd, "id " + strconv.Quote(id), "contains \"~\", which Planfix uses internally; use ids without it"}
		}
	}
	return nil
}

func checkUTF8(cmd string, f Form) error {
	for _, p := range f {
		if !utf8.ValidString(p.Key) {
			// The key itself is not printable: name it by its escaped form.
			return &ValidationError{cmd, "field name " + strconv.QuoteToASCII(p.Key), "is not valid UTF-8; Planfix expects UTF-8 text"}
		}
		if !utf8.ValidString(p.Value) {
			return &ValidationError{cmd, p.Key, "is not valid UTF-8; Planfix expects UTF-8 text"}
		}
	}
	return nil
}

// GetTask asks for the current task of chatID. It understands the three
// answer shapes seen in the wild: {"number":N}, {"data":{"number":N}} and
// {"data":"{\"number\":N,\"statusIsActive\":true}"}.
func (c *Client) GetTask(ctx context.Context, chatID string) (TaskInfo, error) {
	info, err := c.askNumber(ctx, "getTask", "chatId", chatID)
	if err != nil {
		return TaskInfo{}, err
	}
	return TaskInfo(info), nil
}

// GetContact returns Planfix's contact number for the chat side's contactID.
func (c *Client) GetContact(ctx context.Context, contactID string) (int64, error) {
	info, err := c.askNumber(ctx, "getContact", "contactId", contactID)
	if err != nil {
		return 0, err
	}
	return info.Number, nil
}

// askNumber sends cmd with the one id field it needs and decodes the
// number Planfix answers; getTask and getContact differ only in these.
func (c *Client) askNumber(ctx context.Context, cmd, field, id string) (NumberAnswer, error) {
	if strings.TrimSpace(id) == "" {
		return NumberAnswer{}, &ValidationError{cmd, field, "is required"}
	}
	f := Form{{"cmd", cmd}, {"providerId", c.providerID}, {"planfix_token", c.token}, {field, id}}
	if err := checkUTF8(cmd, f); err != nil {
		return NumberAnswer{}, err
	}
	body, err := c.do(ctx, cmd, f)
	if err != nil {
		return NumberAnswer{}, err
	}
	info, err := ParseNumberAnswer(body)
	if err != nil {
		return NumberAnswer{}, fmt.Errorf("planfix: %s: %w", cmd, err)
	}
	return info, nil
}

// UpdateContact pushes the contact card; call it when the profile changed,
// not on every message.
func (c *Client) UpdateContact(ctx context.Context, ct Contact) error {
	const cmd = "updateContact"
	if strings.TrimSpace(ct.ID) == "" {
		return &ValidationError{cmd, "contactId", "is required"}
	}
	if strings.TrimSpace(ct.Name) == "" {
		return &ValidationError{cmd, "contactName", "is required"}
	}
	if err := checkIDs(cmd, ct.ID); err != nil {
		return err
	}
	f := Form{{"cmd", cmd}, {"providerId", c.providerID}, {"planfix_token", c.token}}
	f.addContact(ct)
	if err := checkUTF8(cmd, f); err != nil {
		return err
	}
	_, err := c.do(ctx, cmd, f)
	return err
}

// SetMessageStatus reports the delivery state of a message Planfix sent
// (its messageId); text explains an error status and may be empty.
func (c *Client) SetMessageStatus(ctx context.Context, messageID string, status MessageStatus, text string) error {
	const cmd = "messageStatus"
	if strings.TrimSpace(messageID) == "" {
		return &ValidationError{cmd, "messageId", "is required (the messageId Planfix sent with its newMessage)"}
	}
	switch status {
	case StatusSent, StatusRead, StatusError:
	default:
		return &ValidationError{cmd, "messageStatus", fmt.Sprintf("%q is not one of sent, read, error", status)}
	}
	f := Form{{"cmd", cmd}, {"providerId", c.providerID}, {"planfix_token", c.token},
		{"messageId", messageID}, {"messageStatus", string(status)}}
	f.AddNonEmpty("messageStatusText", text)
	if err := checkUTF8(cmd, f); err != nil {
		return err
	}
	_, err := c.do(ctx, cmd, f)
	return err
}

// do sends one command and maps the answer; it returns the body of a 2xx.
func (c *Client) do(ctx context.Context, cmd string, f Form) ([]byte, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, &TransportError{Command: cmd, Sent: false, Err: err}
	}
	if _, ok := ctx.Deadline(); !ok && c.http.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(f.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error names the URL only; the token travels in the body.
		c.log.LogAttrs(ctx, slog.LevelDebug, "planfix call failed", slog.String("cmd", cmd), slog.Duration("took", time.Since(start)), slog.String("error", err.Error()))
		return nil, &TransportError{Command: cmd, Sent: sentOnTheWire(err), Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	c.log.LogAttrs(ctx, slog.LevelDebug, "planfix call", slog.String("cmd", cmd), slog.Int("status", resp.StatusCode), slog.Duration("took", time.Since(start)))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err != nil {
			return nil, &TransportError{Command: cmd, Sent: true, Err: err}
		}
		return body, nil
	}
	return nil, c.apiError(cmd, resp, body)
}

func (c *Client) apiError(cmd string, resp *http.Response, body []byte) *APIError {
	e := &APIError{Command: cmd, StatusCode: resp.StatusCode}
	var env struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != "" {
		e.Message = bodyExcerpt([]byte(env.Error))
	} else if len(bytes.TrimSpace(body)) > 0 && !strings.Contains(resp.Header.Get("Content-Type"), "html") {
		e.Message = bodyExcerpt(body)
	}
	e.Message = strings.ReplaceAll(e.Message, c.token, "[redacted]")
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized:
		e.kind = ErrInvalidToken
	case s == http.StatusBadRequest:
		low := strings.ToLower(e.Message)
		switch {
		case strings.Contains(low, "task not found"):
			e.kind = ErrTaskNotFound
		case strings.Contains(low, "unknown contact"):
			e.kind = ErrUnknownContact
		default:
			e.kind = ErrInvalidParameters
		}
	case s >= 300 && s < 400:
		e.kind = ErrRedirect
		e.Location = resp.Header.Get("Location")
		if loc, err := resp.Location(); err == nil {
			e.Location = loc.String()
		}
	case s == http.StatusTooManyRequests || s >= 500:
		e.kind = ErrServer
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	default:
		e.kind = ErrUnexpectedStatus
	}
	return e
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// NumberAnswer is the decoded body of getTask or getContact.
type NumberAnswer struct {
	Number         int64
	StatusIsActive *bool
}

// ParseNumberAnswer decodes a getTask/getContact body in any of its known
// shapes: number at the top level, under "data" as an object, or under
// "data" as a JSON-encoded string; the number itself may be a JSON number
// or a numeric string.
func ParseNumberAnswer(body []byte) (NumberAnswer, error) {
	var top struct {
		Data json.RawMessage `json:"data"`
		numberFields
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return NumberAnswer{}, fmt.Errorf("%w: not a JSON object: %q", ErrMalformedResponse, bodyExcerpt(body))
	}
	fields := top.numberFields
	if d := bytes.TrimSpace(top.Data); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		inner := d
		if d[0] == '"' {
			var s string
			if err := json.Unmarshal(d, &s); err != nil {
				return NumberAnswer{}, fmt.Errorf("%w: data is a broken string", ErrMalformedResponse)
			}
			inner = []byte(s)
		}
		var nf numberFields
		if err := json.Unmarshal(inner, &nf); err != nil {
			return NumberAnswer{}, fmt.Errorf("%w: data is not an object: %q", ErrMalformedResponse, bodyExcerpt(inner))
		}
		if nf.Number != nil {
			fields.Number = nf.Number
		}
		if nf.StatusIsActive != nil {
			fields.StatusIsActive = nf.StatusIsActive
		}
	}
	if fields.Number == nil {
		return NumberAnswer{}, fmt.Errorf("%w: no number in %q", ErrMalformedResponse, bodyExcerpt(body))
	}
	n, err := fields.Number.Int64()
	if err != nil {
		return NumberAnswer{}, fmt.Errorf("%w: number %q is not an integer", ErrMalformedResponse, fields.Number.String())
	}
	var active *bool
	if fields.StatusIsActive != nil {
		b, ok := fields.StatusIsActive.value()
		if ok {
			active = &b
		}
	}
	return NumberAnswer{Number: n, StatusIsActive: active}, nil
}

type numberFields struct {
	Number         *json.Number `json:"number"`
	StatusIsActive *looseBool   `json:"statusIsActive"`
}

// looseBool accepts true/false, 1/0 and their string forms.
type looseBool struct{ raw json.RawMessage }

func (b *looseBool) UnmarshalJSON(p []byte) error {
	b.raw = append(b.raw[:0], p...)
	return nil
}

func (b looseBool) value() (bool, bool) {
	switch strings.Trim(strings.ToLower(string(b.raw)), `"`) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}
