package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/readcache"
)

// ErrBody is wrapped by every REST body refusal; the decoding functions
// return a *BodyError carrying the status and code to answer with.
var ErrBody = errors.New("httpapi: unacceptable request body")

// BodyError is a refused request body: its status (400, 413 or 415), its
// stable code and an instructive message.
type BodyError struct {
	// Status is the HTTP status to answer with.
	Status int
	// Code is the stable code, one of actions' body codes.
	Code actions.Code
	// Message says what is wrong with the body and what to send instead.
	Message string
}

// Error returns the message.
func (e *BodyError) Error() string { return e.Message }

// Unwrap makes every BodyError match ErrBody.
func (e *BodyError) Unwrap() error { return ErrBody }

// DecodeActionInput reads a REST action body: JSON (application/json or a
// +json type) holding exactly one object, at most limit bytes. An empty body
// without a content type means {} so `curl -X POST` works for actions
// without required inputs. It never echoes body bytes into messages.
func DecodeActionInput(contentType string, body io.Reader, limit int64) (json.RawMessage, error) {
	raw, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, &BodyError{Status: http.StatusBadRequest, Code: actions.CodeMalformedJSON, Message: "The request body could not be read completely; retry the call."}
	}
	if int64(len(raw)) > limit {
		return nil, tooLarge(limit)
	}
	trimmed := bytes.TrimSpace(raw)
	if contentType == "" && len(trimmed) == 0 {
		return json.RawMessage("{}"), nil
	}
	mt, _, perr := mime.ParseMediaType(contentType)
	if perr != nil || (mt != "application/json" && !(len(mt) > 5 && mt[len(mt)-5:] == "+json")) {
		got := "no Content-Type"
		if contentType != "" {
			got = "an unparseable Content-Type"
			if perr == nil && len(mt) <= 64 {
				got = fmt.Sprintf("Content-Type %q", mt)
			}
		}
		return nil, &BodyError{Status: http.StatusUnsupportedMediaType, Code: actions.CodeUnsupportedMediaType,
			Message: "The action input must be sent as JSON with \"Content-Type: application/json\"; the request had " + got + "."}
	}
	if len(trimmed) == 0 {
		return json.RawMessage("{}"), nil
	}
	if trimmed[0] == '{' && json.Valid(trimmed) {
		// Exactly one JSON value, and an object: what the decoder below
		// would accept. The action decodes the input anyway, so decoding it
		// here too would only cost time and memory on large bulk bodies.
		return json.RawMessage(trimmed), nil
	}
	// Decode only to say what is wrong with the body.
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &BodyError{Status: http.StatusBadRequest, Code: actions.CodeMalformedJSON, Message: "The request body is not valid JSON (" + describeJSONError(err) + "); send the action input as one JSON object."}
	}
	if dec.More() {
		return nil, &BodyError{Status: http.StatusBadRequest, Code: actions.CodeMalformedJSON, Message: "The request body holds more than one JSON value; send the action input as exactly one JSON object."}
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, &BodyError{Status: http.StatusBadRequest, Code: actions.CodeMalformedJSON, Message: fmt.Sprintf("The request body is a JSON %s; send the action input as one JSON object, e.g. {\"companyId\": \"…\"}.", jsonKind(v))}
	}
	return json.RawMessage(trimmed), nil
}

func tooLarge(limit int64) *BodyError {
	return &BodyError{Status: http.StatusRequestEntityTooLarge, Code: actions.CodePayloadTooLarge,
		Message: fmt.Sprintf("The request body exceeds the %d-byte limit; send less data per call (split bulk inputs into several calls).", limit)}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "value"
}

// describeJSONError says where a JSON body broke, never what it contained.
func describeJSONError(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "it ends too early"
	}
	return "it cannot be parsed"
}

// RESTOptions configure the REST door.
type RESTOptions struct {
	// Registry holds the actions the door serves; required.
	Registry *actions.Registry
	// Deps are the server's own dependencies every REST call runs with
	// (the Planhat client of PLANHAT_TOKEN); actions needing one it lacks
	// answer not_configured, and New logs which at start-up.
	Deps actions.Deps
	// MaxBodyBytes bounds bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Version appears in the OpenAPI document.
	Version string
	// Logger receives the outcome of failed calls; nil discards.
	Logger *slog.Logger
	// Paths are OpenAPI path entries of the server's other doors (the
	// hand-off's), so one document describes every route.
	Paths []map[string]any
}

// RESTWording tells REST callers where settings live: on the server, in
// the operator's hands.
var RESTWording = actions.Wording{
	Token:       "have the server's operator set it as PLANHAT_TOKEN",
	Tenant:      "into the server's PLANHAT_TENANT (ask its operator)",
	Region:      "the server's PLANHAT_REGION or PLANHAT_API_URL",
	ListActions: "GET /v1/actions lists the actions",
	Where:       "the planbridge server",
	Operator:    "the server's operator with the request id",
}

// CacheHeader marks a REST answer the read cache served past its time to live, as
// "stale; age=SECONDS; reason=rate-limited" (the budget or Planhat refused the refresh) or
// "reason=revalidating" (stale-while-revalidate); fresh answers carry no such header.
const CacheHeader = "Planbridge-Cache"

// REST builds the REST door: POST /v1/actions/{name}, GET /v1/actions
// (both behind the API keys) and GET /openapi.json.
func REST(opts RESTOptions) (Door, error) {
	if opts.Registry == nil {
		return Door{}, errors.New("httpapi: RESTOptions.Registry is required")
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	doc, err := OpenAPI(opts.Registry, opts.Version, opts.Paths...)
	if err != nil {
		return Door{}, err
	}
	d := &restDoor{opts: opts}
	return Door{
		Name: "rest",
		Hint: "The REST door is POST /v1/actions/{name} (GET /v1/actions lists actions, GET /openapi.json describes them)",
		Routes: []Route{
			{Pattern: "POST /v1/actions/{name}", Handler: http.HandlerFunc(d.call), NeedsAPIKey: true, MaxBodyBytes: opts.MaxBodyBytes},
			{Pattern: "GET /v1/actions", Handler: http.HandlerFunc(d.list), NeedsAPIKey: true},
			{Pattern: "GET /openapi.json", Handler: openAPIHandler(doc)},
		},
	}, nil
}

// restDoor serves POST /v1/actions/{name} and GET /v1/actions.
type restDoor struct {
	opts RESTOptions
}

// actionSummary is one entry of GET /v1/actions.
type actionSummary struct {
	Name         string             `json:"name"`
	Title        string             `json:"title"`
	Description  string             `json:"description"`
	Group        string             `json:"group,omitempty"`
	ReadOnly     bool               `json:"readOnly"`
	Destructive  bool               `json:"destructive"`
	InputSchema  *jsonschema.Schema `json:"inputSchema"`
	OutputSchema *jsonschema.Schema `json:"outputSchema"`
}

func (d *restDoor) list(w http.ResponseWriter, r *http.Request) {
	all := d.opts.Registry.All()
	out := struct {
		Actions []actionSummary `json:"actions"`
	}{Actions: make([]actionSummary, 0, len(all))}
	for _, a := range all {
		out.Actions = append(out.Actions, actionSummary{
			Name: a.Name, Title: a.Title, Description: a.Description, Group: a.Group,
			ReadOnly: a.ReadOnly, Destructive: a.Destructive, InputSchema: a.Input, OutputSchema: a.Output,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (d *restDoor) call(w http.ResponseWriter, r *http.Request) {
	inv := actions.Invocation{
		Door: "rest", Action: r.PathValue("name"), Deps: d.opts.Deps, Wording: &RESTWording,
		Logger: d.opts.Logger.With("request_id", RequestID(r.Context())),
	}
	if _, ok := d.opts.Registry.Get(inv.Action); ok {
		// Only a known action's body is read: an unknown name is answered
		// (with the closest name) without reading it.
		input, err := DecodeActionInput(r.Header.Get("Content-Type"), r.Body, d.opts.MaxBodyBytes)
		if err != nil {
			if be, ok := errors.AsType[*BodyError](err); ok {
				WriteError(w, r, be.Code, be.Message)
				return
			}
			WriteError(w, r, actions.CodeMalformedJSON, "The request body could not be read; retry the call.")
			return
		}
		inv.Input = input
	}
	ctx, stale := readcache.NoteStale(r.Context())
	out, failure := d.opts.Registry.Invoke(ctx, inv)
	if failure != nil {
		writeActionError(w, r, failure)
		return
	}
	if age, reason, ok := stale.Stale(); ok {
		// Said beside the output, whose schema a stale answer shares.
		w.Header().Set(CacheHeader, fmt.Sprintf("stale; age=%d; reason=%s", int(age.Seconds()), reason))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	_, _ = w.Write([]byte{'\n'})
}
