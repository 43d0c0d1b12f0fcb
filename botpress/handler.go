package botpress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// DefaultMaxBodyBytes bounds operation bodies unless HandlerOptions says
// otherwise; webhook bodies are the largest Botpress relays.
const DefaultMaxBodyBytes = 4 << 20

// Integration is what an integration implements: one method per operation.
// Embed UnimplementedIntegration to get the SDK's defaults for the rest.
//
// Returned errors are answered as follows: an *Error (RuntimeError,
// InvalidPayloadError, NewError) is written as is with its status; anything
// else becomes 500 Runtime with a generic message, and the real error is
// logged with the request id.
type Integration interface {
	// Register validates the configuration with a real call to the external
	// service and sets up its webhooks; a RuntimeError blocks the installation
	// and shows its message to the bot builder.
	Register(ctx context.Context, req *Request, p *RegisterPayload) error
	// Unregister removes external webhooks, best-effort.
	Unregister(ctx context.Context, req *Request, p *RegisterPayload) error
	// Ping answers Botpress's liveness check.
	Ping(ctx context.Context, req *Request) error
	// Action runs the named action; the result is wrapped as
	// {"output": result, "meta": {"cost": ...}} (see Request.SetCost).
	Action(ctx context.Context, req *Request, name string, input json.RawMessage) (any, error)
	// MessageCreated delivers an outgoing message to the external service.
	MessageCreated(ctx context.Context, req *Request, p *MessageCreatedPayload) error
	// MessageUpdated reacts to an edited message.
	MessageUpdated(ctx context.Context, req *Request, p *MessageUpdatedPayload) error
	// ConversationUpdated reacts to a changed conversation.
	ConversationUpdated(ctx context.Context, req *Request, p *ConversationUpdatedPayload) error
	// WebhookReceived handles a request the external service sent to the
	// installation's webhook URL; a non-nil response is what the external
	// caller receives.
	WebhookReceived(ctx context.Context, req *Request, p *WebhookPayload) (*WebhookResponse, error)
	// CreateUser is the deprecated create_user operation; nil result answers {}.
	CreateUser(ctx context.Context, req *Request, p *CreateUserPayload) (*CreateUserResult, error)
	// CreateConversation is the deprecated create_conversation operation; nil result answers {}.
	CreateConversation(ctx context.Context, req *Request, p *CreateConversationPayload) (*CreateConversationResult, error)
}

// UnimplementedIntegration gives every operation the SDK's default
// behaviour: accept lifecycle and update operations, refuse unknown actions
// and channels with InvalidPayload.
type UnimplementedIntegration struct{}

var _ Integration = UnimplementedIntegration{}

// Register accepts any configuration.
func (UnimplementedIntegration) Register(context.Context, *Request, *RegisterPayload) error {
	return nil
}

// Unregister does nothing.
func (UnimplementedIntegration) Unregister(context.Context, *Request, *RegisterPayload) error {
	return nil
}

// Ping succeeds.
func (UnimplementedIntegration) Ping(context.Context, *Request) error { return nil }

// Action reports that no action of that name exists.
func (UnimplementedIntegration) Action(_ context.Context, _ *Request, name string, _ json.RawMessage) (any, error) {
	return nil, InvalidPayloadError(fmt.Sprintf("Action %s not found. Check the action name against the integration's definition.", name))
}

// MessageCreated reports that the integration has no such channel.
func (UnimplementedIntegration) MessageCreated(_ context.Context, _ *Request, p *MessageCreatedPayload) error {
	return InvalidPayloadError(fmt.Sprintf("Channel %s not found. This integration declares no channel of that name.", p.Conversation.Channel))
}

// MessageUpdated ignores the update, as the SDK does without a handler.
func (UnimplementedIntegration) MessageUpdated(context.Context, *Request, *MessageUpdatedPayload) error {
	return nil
}

// ConversationUpdated ignores the update, as the SDK does without a handler.
func (UnimplementedIntegration) ConversationUpdated(context.Context, *Request, *ConversationUpdatedPayload) error {
	return nil
}

// WebhookReceived answers 200 {}.
func (UnimplementedIntegration) WebhookReceived(context.Context, *Request, *WebhookPayload) (*WebhookResponse, error) {
	return nil, nil
}

// CreateUser answers 200 {}.
func (UnimplementedIntegration) CreateUser(context.Context, *Request, *CreateUserPayload) (*CreateUserResult, error) {
	return nil, nil
}

// CreateConversation answers 200 {}.
func (UnimplementedIntegration) CreateConversation(context.Context, *Request, *CreateConversationPayload) (*CreateConversationResult, error) {
	return nil, nil
}

// HandlerOptions configures NewHandler.
type HandlerOptions struct {
	// Logger receives one line per operation and the real cause of every
	// 500; nil discards.
	Logger *slog.Logger
	// MaxBodyBytes bounds the body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Timeout bounds each operation through its context; 0 means no bound
	// beyond the caller's. Botpress's own limit is unverified (spec §9.6),
	// so keep it under its client's 60 s.
	Timeout time.Duration
	// Authenticate, when set, vets every operation before it is parsed
	// further (a shared secret, or Botpress's request signature once its
	// scheme is known, spec §9.1); body is the raw body. A non-nil error
	// answers 401 {"error":"Unauthorized"}, as the SDK's signature check
	// does, and is logged, never returned.
	Authenticate func(r *http.Request, body []byte) error
	// RequestID, when set, names the request as the server's front door
	// did (its access log and X-Request-Id), so the handler's log lines
	// carry the same request_id; a failure's log line adds the err_… id
	// Botpress sees as error_id.
	RequestID func(context.Context) string
	// Runtime is the template for Request.Client: BaseURL (BP_API_URL),
	// Token (BP_TOKEN), HTTPClient, retry settings. The bot, integration and
	// trace fields are filled from each request.
	Runtime ClientOptions
}

// NewHandler serves the integration protocol: GET /health answers "ok",
// every other request is an operation named by x-bp-operation, whatever
// the path.
func NewHandler(integration Integration, opts HandlerOptions) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return &handler{impl: integration, opts: opts}
}

type handler struct {
	impl Integration
	opts HandlerOptions
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && isHealthPath(r.URL.Path) && r.Header.Get(HeaderOperation) == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok")
		return
	}
	start := time.Now()
	requestID := NewErrorID(start)
	// Log lines carry the front door's id when it has one; error ids stay ours.
	logID := requestID
	if h.opts.RequestID != nil {
		if id := h.opts.RequestID(r.Context()); id != "" {
			logID = id
		}
	}
	logger := h.opts.Logger.With("request_id", logID)
	req, err := ParseHeaders(r.Header)
	if err != nil {
		var he *HeaderError
		if errors.As(err, &he) {
			logger.WarnContext(r.Context(), "botpress: rejected operation", "reason", he.Message)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": he.Message})
			return
		}
		h.writeFailure(r.Context(), w, requestID, err, logger)
		return
	}
	req.RequestID = requestID
	req.runtime = h.opts.Runtime
	req.Logger = logger.With("operation", string(req.Operation),
		"bot_id", req.BotID, "integration_id", req.IntegrationID, "integration_alias", req.IntegrationAlias)

	if ct := r.Header.Get("Content-Type"); ct != "" && !acceptableContentType(ct) {
		h.writeFailure(r.Context(), w, requestID, NewError(http.StatusUnsupportedMediaType, TypeUnsupportedMedia,
			"The request body must be JSON (Content-Type: application/json), not "+safeMediaType(ct)+"."), req.Logger)
		return
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		tooLarge := NewError(http.StatusRequestEntityTooLarge, TypePayloadTooLarge,
			fmt.Sprintf("The request body exceeds %d bytes; send a smaller payload.", h.opts.MaxBodyBytes))
		// A declared length over the limit is refused before reading: the
		// limit's worth of bytes would be read (and thrown away) for nothing.
		if r.ContentLength > h.opts.MaxBodyBytes {
			// Closing the connection also keeps net/http from reading a
			// short remainder (under 256 KiB) to reuse it.
			w.Header().Set("Connection", "close")
			h.writeFailure(r.Context(), w, requestID, tooLarge, req.Logger)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				h.writeFailure(r.Context(), w, requestID, tooLarge, req.Logger)
				return
			}
			h.writeFailure(r.Context(), w, requestID, InvalidPayloadError("The request body could not be read; retry the call."), req.Logger)
			return
		}
		req.Body = body
	}

	if h.opts.Authenticate != nil {
		if err := h.opts.Authenticate(r, req.Body); err != nil {
			req.Logger.WarnContext(r.Context(), "botpress: unauthenticated operation", "error", err.Error())
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Unauthorized"})
			return
		}
	}

	status := h.dispatch(w, r, req)
	req.Logger.DebugContext(r.Context(), "botpress: operation", "status", status, "duration", time.Since(start))
}

// dispatch runs one operation and writes its answer; it returns the status.
func (h *handler) dispatch(w http.ResponseWriter, r *http.Request, req *Request) (status int) {
	ctx := r.Context()
	if h.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.opts.Timeout)
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			req.Logger.ErrorContext(ctx, "botpress: integration panicked", "panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack()))
			status = h.writeFailure(ctx, w, req.RequestID, errors.New("panic in integration"), req.Logger)
		}
	}()
	var (
		answer any
		err    error
	)
	switch req.Operation {
	case OpRegister:
		err = runOp(ctx, h.impl, req, Integration.Register)
	case OpUnregister:
		err = runOp(ctx, h.impl, req, Integration.Unregister)
	case OpPing:
		err = h.impl.Ping(ctx, req)
	case OpActionTriggered:
		answer, err = h.action(ctx, req)
	case OpMessageCreated:
		var p MessageCreatedPayload
		if err = decodeBody(req.Body, &p); err == nil {
			if err = checkMessage(p.Type, p.Conversation); err == nil {
				err = h.impl.MessageCreated(ctx, req, &p)
			}
		}
	case OpMessageUpdated:
		err = runOp(ctx, h.impl, req, Integration.MessageUpdated)
	case OpConversationUpdated:
		err = runOp(ctx, h.impl, req, Integration.ConversationUpdated)
	case OpWebhookReceived:
		var p WebhookPayload
		if err = decodeBody(req.Body, &p); err == nil {
			var resp *WebhookResponse
			if resp, err = h.impl.WebhookReceived(ctx, req, &p); err == nil && resp != nil {
				return writeWebhookResponse(w, resp)
			}
		}
	case OpCreateUser:
		answer, err = answerOp(ctx, h.impl, req, Integration.CreateUser)
	case OpCreateConversation:
		answer, err = answerOp(ctx, h.impl, req, Integration.CreateConversation)
	default:
		op := string(req.Operation)
		if len(op) > 64 {
			op = op[:64] + "…"
		}
		err = InvalidPayloadError(fmt.Sprintf("Unknown operation %q. This integration handles: %s.", op, operationList()))
	}
	if err != nil {
		return h.writeFailure(ctx, w, req.RequestID, err, req.Logger)
	}
	if answer == nil {
		answer = struct{}{}
	}
	var body []byte
	if ar, ok := answer.(ActionResult); ok {
		body, err = ar.encode()
	} else {
		body, err = json.Marshal(answer)
	}
	if err != nil {
		return h.writeFailure(ctx, w, req.RequestID, fmt.Errorf("encode %s answer: %w", req.Operation, err), req.Logger)
	}
	writeRaw(w, http.StatusOK, body)
	return http.StatusOK
}

func (h *handler) action(ctx context.Context, req *Request) (any, error) {
	var p ActionPayload
	if err := decodeBody(req.Body, &p); err != nil {
		return nil, err
	}
	if p.Type == "" {
		return nil, InvalidPayloadError(`Missing action type: the body must be {"type": "<actionName>", "input": {...}}.`)
	}
	input := bytes.TrimSpace(p.Input)
	if len(input) == 0 || string(input) == "null" {
		input = []byte("{}")
	}
	out, err := h.impl.Action(ctx, req, p.Type, json.RawMessage(input))
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = struct{}{}
	}
	return ActionResult{Output: out, Meta: ActionMeta{Cost: req.cost}}, nil
}

func checkMessage(typ string, conv Conversation) error {
	if typ == "" {
		return InvalidPayloadError(`Missing message type: the body must carry "type" (e.g. "text").`)
	}
	if conv.Channel == "" {
		return InvalidPayloadError(`Missing conversation channel: the body must carry "conversation": {"channel": ...}.`)
	}
	return nil
}

// writeFailure answers err in Botpress's error shape and returns the status.
// Only *Error values reach the caller; everything else is logged and
// replaced by the generic message under the request id.
func (h *handler) writeFailure(ctx context.Context, w http.ResponseWriter, requestID string, err error, logger *slog.Logger) int {
	if logger == nil {
		// Callers pass req.Logger, an exported field the integration may
		// have cleared; the error must still be answered.
		logger = h.opts.Logger.With("request_id", requestID)
	}
	var be *Error
	if errors.As(err, &be) {
		out := *be
		if out.Code < 400 || out.Code > 599 {
			out.Code = http.StatusBadRequest
		}
		if out.Type == "" {
			out.Type = TypeRuntime
		}
		if out.ID == "" {
			out.ID = requestID
		}
		logger.InfoContext(ctx, "botpress: operation refused", "error_id", out.ID, "status", out.Code, "type", out.Type, "message", out.Message)
		WriteError(w, &out)
		return out.Code
	}
	logger.ErrorContext(ctx, "botpress: operation failed", "error_id", requestID, "error", err.Error())
	WriteError(w, &Error{ID: requestID, Code: http.StatusInternalServerError, Type: TypeRuntime, Message: GenericErrorMessage})
	return http.StatusInternalServerError
}

// WriteError writes e as Botpress error JSON with e.Code as the status, for
// callers that refuse a request before it reaches the handler (e.g. an
// authentication wrapper).
func WriteError(w http.ResponseWriter, e *Error) {
	code := e.Code
	if code == 0 {
		code = http.StatusBadRequest
	}
	if e.ID == "" {
		c := *e
		c.ID = NewErrorID(time.Now())
		e = &c
	}
	writeJSON(w, code, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte(`{"error":"internal encoding failure"}`)
		status = http.StatusInternalServerError
	}
	writeRaw(w, status, body)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeWebhookResponse writes the integration's answer as the HTTP
// response itself, which Botpress relays to the external caller (the SDK's
// res.writeHead(status ?? 200, headers) with body ?? "{}").
func writeWebhookResponse(w http.ResponseWriter, resp *WebhookResponse) int {
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	for k, v := range resp.Headers {
		if k == "" || strings.ContainsAny(k, "\r\n:") || strings.ContainsAny(v, "\r\n") {
			continue
		}
		w.Header().Set(k, v)
	}
	body := resp.Body
	bodyAllowed := status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
	if body == "" && bodyAllowed {
		body = "{}"
	}
	w.WriteHeader(status)
	if bodyAllowed {
		_, _ = io.WriteString(w, body)
	}
	return status
}

// decodeBody parses a JSON object body; an empty body counts as {} because
// the SDK treats a missing body as an empty payload.
// runOp decodes the payload of an operation and runs op (a method of
// Integration) with it on impl.
func runOp[P any](ctx context.Context, impl Integration, req *Request, op func(Integration, context.Context, *Request, *P) error) error {
	var p P
	if err := decodeBody(req.Body, &p); err != nil {
		return err
	}
	return op(impl, ctx, req, &p)
}

// answerOp is runOp for the operations that answer with a result; a nil
// result stays a nil answer, which is written as {}.
func answerOp[P, R any](ctx context.Context, impl Integration, req *Request, op func(Integration, context.Context, *Request, *P) (*R, error)) (any, error) {
	var p P
	if err := decodeBody(req.Body, &p); err != nil {
		return nil, err
	}
	res, err := op(impl, ctx, req, &p)
	if err != nil || res == nil {
		return nil, err
	}
	return res, nil
}

func decodeBody(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	if trimmed[0] != '{' {
		return InvalidPayloadError("The request body must be a JSON object.")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return InvalidPayloadErrorf("The request body is not a valid operation payload (%s).", describeJSONError(err))
	}
	return nil
}

func operationList() string {
	ops := Operations()
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = string(op)
	}
	return strings.Join(names, ", ")
}

func isHealthPath(p string) bool {
	return p == "/health" || strings.HasSuffix(p, "/health")
}

func acceptableContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/plain" || mt == "application/octet-stream"
}

// safeMediaType echoes at most a short, parsed media type, never raw input.
func safeMediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || len(mt) > 64 {
		return "an unparseable content type"
	}
	return fmt.Sprintf("%q", mt)
}
