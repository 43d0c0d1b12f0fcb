package integrations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/store"
)

// PlanfixName is the integration's name in Botpress and in our routes.
const PlanfixName = "planfix"

// PlanfixVersion is the integration's semver in its definition.
const PlanfixVersion = "1.0.0"

// PlanfixSuffixes are the Planfix hosts a configuration may name without
// the operator listing them.
var PlanfixSuffixes = []string{".planfix.com", ".planfix.ru"}

// minChatToken is the shortest chat token accepted: Planfix sends it with
// every message, and it is all that stands between the Internet and the bot.
const minChatToken = 16

// PlanfixConfig is the installation configuration a bot builder fills in.
type PlanfixConfig struct {
	// EndpointURL is the exact Planfix URL from the integration settings,
	// e.g. https://acme.planfix.com/webchat/api.
	EndpointURL string `json:"endpointUrl"`
	// PlanfixToken is the Planfix token from the same window.
	PlanfixToken string `json:"planfixToken"`
	// ProviderID identifies the bot to Planfix; no "~".
	ProviderID string `json:"providerId"`
	// ChatToken is the token Planfix sends with every call to the chat.
	ChatToken string `json:"chatToken"`
	// AgentEmail is the Planfix employee who authors the bot's messages.
	AgentEmail string `json:"botEmployeeEmail,omitempty"`
	// BotName and BotAvatarURL present the bot in the task's transcript
	// and on its Botpress user.
	BotName      string `json:"botName,omitempty"`
	BotAvatarURL string `json:"botAvatarUrl,omitempty"`
	// TaskFields maps hitlSession fields (priority, …) to the names of
	// Planfix task custom fields.
	TaskFields map[string]string `json:"taskFields,omitempty"`
}

// PlanfixOptions configure the planfix integration.
type PlanfixOptions struct {
	// Engine runs the hand-offs; required.
	Engine *handoff.Engine
	// Policy guards the Planfix URLs of configurations. Suffixes defaults
	// to PlanfixSuffixes.
	Policy HostPolicy
	// Logger receives diagnostics without secrets; nil discards.
	Logger *slog.Logger
}

// Planfix is the planfix Botpress integration: Botpress's HITL interface
// over Planfix's chat API.
type Planfix struct {
	botpress.UnimplementedIntegration
	opts   PlanfixOptions
	client *http.Client
}

var _ botpress.Integration = (*Planfix)(nil)

// NewPlanfix builds the integration.
func NewPlanfix(opts PlanfixOptions) (*Planfix, error) {
	if opts.Engine == nil {
		return nil, errors.New("integrations: PlanfixOptions.Engine is required")
	}
	if len(opts.Policy.Suffixes) == 0 {
		opts.Policy.Suffixes = PlanfixSuffixes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Planfix{opts: opts, client: opts.Policy.HTTPClient(nil)}, nil
}

const howToFindPlanfixSettings = "In Planfix open Account management > Integrations > Chats > Planfix API for chats and open (or add) the chat for this bot"

// resolvePlanfix validates cfg; every error is a RuntimeError saying what to fix.
func (p *Planfix) resolvePlanfix(req *botpress.Request) (PlanfixConfig, store.HandoffInstallation, error) {
	var cfg PlanfixConfig
	if err := req.DecodeConfiguration(&cfg); err != nil {
		return cfg, store.HandoffInstallation{}, err
	}
	cfg.EndpointURL, cfg.PlanfixToken = strings.TrimSpace(cfg.EndpointURL), strings.TrimSpace(cfg.PlanfixToken)
	cfg.ProviderID, cfg.ChatToken = strings.TrimSpace(cfg.ProviderID), strings.TrimSpace(cfg.ChatToken)
	switch {
	case cfg.EndpointURL == "":
		return cfg, store.HandoffInstallation{}, botpress.RuntimeError(`The "Planfix Endpoint URL" is empty. ` + howToFindPlanfixSettings + `, copy the URL it shows (e.g. https://acme.planfix.com/webchat/api) exactly, then save the configuration.`)
	case cfg.PlanfixToken == "":
		return cfg, store.HandoffInstallation{}, botpress.RuntimeError(`The "Planfix Token" is empty. ` + howToFindPlanfixSettings + `, copy the Planfix token shown next to the URL, then save the configuration.`)
	case cfg.ProviderID == "":
		return cfg, store.HandoffInstallation{}, botpress.RuntimeError(`The "Provider ID" is empty. Enter the same identifier here and in the chat's settings in Planfix (e.g. "botpress").`)
	case strings.Contains(cfg.ProviderID, "~"):
		return cfg, store.HandoffInstallation{}, botpress.RuntimeError(`The "Provider ID" contains "~", which Planfix forbids. Choose an identifier without it, here and in Planfix.`)
	case len(cfg.ChatToken) < minChatToken:
		return cfg, store.HandoffInstallation{}, botpress.RuntimeErrorf(`The "Chat Token" must be at least %d characters (it is %d). Generate a random one (e.g. "openssl rand -hex 24"), paste it here and into the chat's token field in Planfix.`, minChatToken, len(cfg.ChatToken))
	}
	if _, err := p.opts.Policy.CheckURL(cfg.EndpointURL); err != nil {
		return cfg, store.HandoffInstallation{}, botpress.RuntimeErrorf(`The "Planfix Endpoint URL" cannot be used: %v. It must be an https URL on a planfix.com or planfix.ru host (the server's operator can allow your own domain with PLANBRIDGE_ALLOW_HOSTS); copy it exactly from Planfix's integration settings.`, err)
	}
	in := store.HandoffInstallation{Endpoint: cfg.EndpointURL, PlanfixToken: cfg.PlanfixToken, ProviderID: cfg.ProviderID,
		UserEmail: strings.TrimSpace(cfg.AgentEmail), BotName: cfg.BotName, BotAvatarURL: cfg.BotAvatarURL,
		BotID: req.BotID, IntegrationID: req.IntegrationID, IntegrationAlias: req.IntegrationAlias}
	return cfg, in, nil
}

// install validates the configuration and stores the installation.
func (p *Planfix) install(ctx context.Context, req *botpress.Request) (PlanfixConfig, store.HandoffInstallation, error) {
	cfg, in, err := p.resolvePlanfix(req)
	if err != nil {
		return cfg, in, err
	}
	in, err = p.opts.Engine.PutInstallation(ctx, in)
	return cfg, in, err
}

// registerProbeChat is a chat that cannot exist: getTask for it answers
// "task not found" when the token is right.
const registerProbeChat = "planbridge-register-check"

// Register checks the URL and token with a harmless getTask and tells the
// bot builder what to paste into Planfix.
func (p *Planfix) Register(ctx context.Context, req *botpress.Request, payload *botpress.RegisterPayload) error {
	_, in, err := p.install(ctx, req)
	if err != nil {
		return err
	}
	client, err := planfix.NewClient(planfix.ClientConfig{Endpoint: in.Endpoint, PlanfixToken: in.PlanfixToken, ProviderID: in.ProviderID, HTTPClient: p.client})
	if err != nil {
		return botpress.RuntimeErrorf("The Planfix settings cannot be used: %v", err)
	}
	_, err = client.GetTask(ctx, registerProbeChat)
	switch {
	case err == nil, errors.Is(err, planfix.ErrTaskNotFound):
	case errors.Is(err, planfix.ErrInvalidToken):
		return botpress.RuntimeError(`Planfix rejected the token: ` + howToFindPlanfixSettings + `, copy the Planfix token into "Planfix Token" (and check that "Planfix Endpoint URL" belongs to the same account), then save the configuration.`)
	case errors.Is(err, planfix.ErrRedirect):
		return botpress.RuntimeErrorf(`Planfix redirected the call (%v): use the exact URL shown in Planfix's integration settings as "Planfix Endpoint URL".`, err)
	case errors.Is(err, planfix.ErrInvalidParameters):
		return botpress.RuntimeError(`Planfix refused the call's parameters: check that "Provider ID" is the same as in the chat's settings in Planfix, then save the configuration.`)
	default:
		return botpress.NewError(http.StatusBadGateway, botpress.TypeRuntime, fmt.Sprintf("Planfix could not be reached to check the configuration (%v); check the endpoint URL and try saving again.", err))
	}
	hook := ""
	if payload != nil {
		hook = payload.WebhookURL
	}
	req.Logger.Info("planfix: configuration checked; in Planfix's chat settings set the chat URL to this installation's webhook URL and the chat token to the configured Chat Token",
		"chat_url", hook, "provider_id", in.ProviderID)
	return nil
}

// Action runs createUser, startHitl and stopHitl.
func (p *Planfix) Action(ctx context.Context, req *botpress.Request, name string, input json.RawMessage) (any, error) {
	switch name {
	case "createUser":
		return p.createUser(ctx, req, input)
	case "startHitl":
		return p.startHitl(ctx, req, input)
	case "stopHitl":
		return p.stopHitl(ctx, req, input)
	}
	return p.UnimplementedIntegration.Action(ctx, req, name, input)
}

func decodeInput(input json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(input))
	if err := dec.Decode(v); err != nil {
		return botpress.InvalidPayloadErrorf("the action input is not valid: %v", err)
	}
	return nil
}

type createUserInput struct {
	Name       string `json:"name"`
	PictureURL string `json:"pictureUrl,omitempty"`
	Email      string `json:"email,omitempty"`
}

// createUser finds or creates the Botpress user of an end user, tagged
// with the email and a stable Planfix contactId, and pushes a changed
// profile to Planfix.
func (p *Planfix) createUser(ctx context.Context, req *botpress.Request, input json.RawMessage) (any, error) {
	var in createUserInput
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	in.Email = strings.TrimSpace(in.Email)
	if strings.TrimSpace(in.Name) == "" {
		return nil, botpress.InvalidPayloadError(`"name" is required: the end user's name, shown on the Planfix contact`)
	}
	_, inst, err := p.install(ctx, req)
	if err != nil {
		return nil, err
	}
	bp, err := req.Client()
	if err != nil {
		return nil, err
	}
	contactID := handoff.ContactID(in.Email, in.Name)
	tags := map[string]string{handoff.TagContactID: contactID}
	discriminate := []string{handoff.TagContactID}
	if in.Email != "" {
		tags[handoff.TagEmail] = in.Email
	}
	u, err := bp.GetOrCreateUser(ctx, botpress.GetOrCreateUserInput{Tags: tags, Name: in.Name, PictureURL: in.PictureURL, DiscriminateByTags: discriminate})
	if err != nil {
		return nil, fmt.Errorf("creating the end user in Botpress: %w", err)
	}
	if u.Name != in.Name || (in.PictureURL != "" && u.PictureURL != in.PictureURL) {
		if _, err := bp.UpdateUser(ctx, u.ID, botpress.UpdateUserInput{Name: in.Name, PictureURL: in.PictureURL}); err != nil {
			return nil, fmt.Errorf("updating the end user in Botpress: %w", err)
		}
		if err := p.opts.Engine.UpdateContact(ctx, inst.ID, planfix.Contact{ID: contactID, Name: in.Name, Email: in.Email, Ico: in.PictureURL}); err != nil {
			return nil, err
		}
	}
	return map[string]string{"userId": u.ID}, nil
}

type historyMessage struct {
	Source struct {
		Type   string `json:"type"`
		UserID string `json:"userId,omitempty"`
	} `json:"source"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

type startHitlInput struct {
	UserID         string           `json:"userId"`
	Title          string           `json:"title,omitempty"`
	Description    string           `json:"description,omitempty"`
	HitlSession    map[string]any   `json:"hitlSession,omitempty"`
	MessageHistory []historyMessage `json:"messageHistory"`
}

// startHitl opens the Planfix chat with the transcript and returns the
// hitl conversation.
func (p *Planfix) startHitl(ctx context.Context, req *botpress.Request, input json.RawMessage) (any, error) {
	var in startHitlInput
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.UserID == "" {
		return nil, botpress.InvalidPayloadError(`"userId" is required: the user createUser returned`)
	}
	cfg, inst, err := p.install(ctx, req)
	if err != nil {
		return nil, err
	}
	bp, err := req.Client()
	if err != nil {
		return nil, err
	}
	u, err := bp.GetUser(ctx, in.UserID)
	if errors.Is(err, botpress.ErrNotFound) {
		return nil, botpress.RuntimeErrorf("Botpress has no user %q: pass the userId the createUser action returned", in.UserID)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the end user from Botpress: %w", err)
	}
	contactID := u.Tags[handoff.TagContactID]
	if contactID == "" {
		contactID = handoff.ContactID(u.Tags[handoff.TagEmail], u.ID)
	}
	contact := planfix.Contact{ID: contactID, Name: firstNonEmptyString(u.Name, u.Tags[handoff.TagEmail], "Customer"), Email: u.Tags[handoff.TagEmail], Ico: u.PictureURL}
	chatID := handoff.NewChatID()
	conv, err := bp.GetOrCreateConversation(ctx, botpress.GetOrCreateConversationInput{Channel: "hitl",
		Tags: map[string]string{handoff.TagChatID: chatID}, DiscriminateByTags: []string{handoff.TagChatID}})
	if err != nil {
		return nil, fmt.Errorf("creating the hitl conversation in Botpress: %w", err)
	}
	turns := make([]handoff.Turn, 0, len(in.MessageHistory))
	for _, m := range in.MessageHistory {
		text, atts := handoff.BotpressContent(m.Type, m.Payload)
		turns = append(turns, handoff.Turn{Bot: m.Source.Type != "user", Text: text, Attachments: atts})
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = "Chat with " + contact.Name
	}
	err = p.opts.Engine.StartSession(ctx, handoff.Start{
		Installation: inst, ChatID: chatID, ConversationID: conv.ID, UserID: u.ID, Contact: contact, Title: title,
		Opening: handoff.Transcript(in.Description, contact.Name, cfg.BotName, turns),
		Data:    taskData(in.HitlSession, cfg.TaskFields),
	})
	if err != nil {
		return nil, actionError(err)
	}
	return map[string]string{"conversationId": conv.ID}, nil
}

// taskData maps hitlSession values to Planfix task fields: a field named
// in the configuration's mapping goes under the mapped name, and
// hitlSession.taskFields go as they are.
func taskData(session map[string]any, mapping map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range session {
		if k == "taskFields" {
			if m, ok := v.(map[string]any); ok {
				for fk, fv := range m {
					out[fk] = fmt.Sprint(fv)
				}
			}
			continue
		}
		if name := strings.TrimSpace(mapping[k]); name != "" && v != nil {
			out[name] = fmt.Sprint(v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func firstNonEmptyString(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// stopHitl ends the session on our side and tells the agent.
func (p *Planfix) stopHitl(ctx context.Context, req *botpress.Request, input json.RawMessage) (any, error) {
	var in struct {
		ConversationID string `json:"conversationId"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	_, inst, err := p.install(ctx, req)
	if err != nil {
		return nil, err
	}
	if _, err := p.opts.Engine.StopSession(ctx, inst.ID, in.ConversationID, ""); err != nil && !errors.Is(err, handoff.ErrNoSession) {
		return nil, actionError(err)
	}
	return map[string]any{}, nil
}

// actionError turns engine errors into what the bot builder sees.
func actionError(err error) error {
	var full *outbox.FullError
	if errors.As(err, &full) {
		return botpress.NewError(http.StatusServiceUnavailable, botpress.TypeRuntime, full.Error())
	}
	return err
}

// MessageCreated forwards a hitl message to the session's Planfix chat:
// the end user's (payload.userId set by the HITL plugin) as the contact's
// message, the bot's and system notes as outgoing echoes.
func (p *Planfix) MessageCreated(ctx context.Context, req *botpress.Request, m *botpress.MessageCreatedPayload) error {
	if m.Conversation.Channel != "hitl" {
		return p.UnimplementedIntegration.MessageCreated(ctx, req, m)
	}
	if m.Message.Tags[handoff.TagPlanfixMessageID] != "" {
		return nil // came from Planfix: never sent back
	}
	_, inst, err := p.install(ctx, req)
	if err != nil {
		return err
	}
	var meta struct {
		UserID string `json:"userId"`
	}
	_ = json.Unmarshal(m.Payload, &meta)
	text, atts := handoff.BotpressContent(m.Type, m.Payload)
	id := m.Message.ID
	sess, err := p.opts.Engine.PostBotMessage(ctx, handoff.BotMessage{Installation: inst.ID, ConversationID: m.Conversation.ID,
		MessageID: id, Text: text, Attachments: atts, Echo: meta.UserID == ""})
	switch {
	case errors.Is(err, handoff.ErrStopped):
		req.Logger.Info("planfix: message after the hand-off ended, not forwarded", "conversation", m.Conversation.ID)
		return nil
	case errors.Is(err, handoff.ErrNoSession):
		return botpress.RuntimeErrorf("This hitl conversation has no Planfix hand-off (conversation %s): start one with startHitl.", m.Conversation.ID)
	case err != nil:
		return actionError(err)
	}
	if id != "" {
		if bp, cerr := req.Client(); cerr == nil {
			if _, aerr := bp.AckMessage(ctx, id, map[string]string{handoff.TagPlanfixChatID: sess.ChatID}); aerr != nil {
				req.Logger.Debug("planfix: acking the message failed", "err", aerr)
			}
		}
	}
	return nil
}

// WebhookReceived serves Planfix's calls to the chat, relayed by Botpress
// from the installation's webhook URL.
func (p *Planfix) WebhookReceived(ctx context.Context, req *botpress.Request, w *botpress.WebhookPayload) (*botpress.WebhookResponse, error) {
	cfg, inst, err := p.install(ctx, req)
	if err != nil {
		return nil, err
	}
	h, err := planfix.NewHandler(planfix.HandlerConfig{ProviderID: cfg.ProviderID, Tokens: []string{cfg.ChatToken}, Logger: req.Logger,
		Receiver: planfix.ReceiverFunc(func(ctx context.Context, msg *planfix.InboundMessage) (planfix.Ack, error) {
			return p.opts.Engine.ReceiveAgentMessage(ctx, inst.ID, msg)
		})})
	if err != nil {
		return nil, botpress.RuntimeErrorf("The Planfix chat settings cannot be used: %v", err)
	}
	return ServeWebhook(ctx, h, &w.Req), nil
}

// ServeWebhook runs an http.Handler on a request Botpress relayed and
// returns its answer for Botpress to relay back.
func ServeWebhook(ctx context.Context, h http.Handler, wr *botpress.WebhookRequest) *botpress.WebhookResponse {
	method := strings.ToUpper(firstNonEmptyString(wr.Method, http.MethodPost))
	r, err := http.NewRequestWithContext(ctx, method, "/"+strings.TrimPrefix(wr.Path, "/"), strings.NewReader(wr.Body))
	if err != nil {
		return &botpress.WebhookResponse{Status: http.StatusBadRequest, Body: `{"error":"Invalid parameters"}`}
	}
	r.Header.Set("Content-Type", firstNonEmptyString(wr.Header("Content-Type"), "application/x-www-form-urlencoded"))
	w := &bufferedResponse{header: http.Header{}}
	h.ServeHTTP(w, r)
	return &botpress.WebhookResponse{Status: cmpOr(w.status, http.StatusOK), Headers: map[string]string{"Content-Type": w.header.Get("Content-Type")}, Body: w.body.String()}
}

// bufferedResponse is an http.ResponseWriter that keeps the answer.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
