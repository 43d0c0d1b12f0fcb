package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/actions"
)

// ErrBody is wrapped by every REST body refusal; the decoding functions
// return a *BodyError carrying the status and code to answer with.
var ErrBody = errors.New("httpapi: unacceptable request body")

// BodyError is a refused request body: its status (400, 413 or 415), its
// stable code and an instructive message.
type BodyError struct {
	Status  int
	Code    string
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
		return nil, &BodyError{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Message: "The request body could not be read completely; retry the call."}
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
		return nil, &BodyError{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
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
		return nil, &BodyError{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Message: "The request body is not valid JSON (" + describeJSONError(err) + "); send the action input as one JSON object."}
	}
	if dec.More() {
		return nil, &BodyError{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Message: "The request body holds more than one JSON value; send the action input as exactly one JSON object."}
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, &BodyError{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Message: fmt.Sprintf("The request body is a JSON %s; send the action input as one JSON object, e.g. {\"companyId\": \"…\"}.", jsonKind(v))}
	}
	return json.RawMessage(trimmed), nil
}

func tooLarge(limit int64) *BodyError {
	return &BodyError{Status: http.StatusRequestEntityTooLarge, Code: CodePayloadTooLarge,
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

// restDoor serves POST /v1/actions/{name} and GET /v1/actions.
type restDoor struct {
	cfg *Config
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
	all := d.cfg.Registry.All()
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
	name := r.PathValue("name")
	action, err := d.cfg.Registry.Lookup(name)
	if err != nil {
		// The message names the closest registered action, if any.
		WriteError(w, r, http.StatusNotFound, CodeUnknownAction, actions.Classify(err).Message+" GET /v1/actions lists the actions.")
		return
	}
	input, err := DecodeActionInput(r.Header.Get("Content-Type"), r.Body, d.cfg.maxBody())
	if err != nil {
		if be, ok := errors.AsType[*BodyError](err); ok {
			WriteError(w, r, be.Status, be.Code, be.Message)
			return
		}
		WriteError(w, r, http.StatusBadRequest, CodeMalformedJSON, "The request body could not be read; retry the call.")
		return
	}
	ctx := r.Context()
	if d.cfg.ActionContext != nil {
		if ctx, err = d.cfg.ActionContext(ctx); err != nil {
			WriteError(w, r, http.StatusServiceUnavailable, CodeNotConfigured, err.Error())
			return
		}
	}
	start := time.Now()
	out, err := action.Call(ctx, input)
	if err != nil {
		info := actions.Classify(err)
		d.cfg.Metrics.ObserveAction("rest", name, info.Code, time.Since(start))
		status := info.HTTPStatus
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if status >= 500 {
			d.cfg.Logger.ErrorContext(ctx, "action failed", "request_id", RequestID(ctx), "action", name, "code", info.Code, "error", err.Error())
		} else {
			d.cfg.Logger.InfoContext(ctx, "action refused", "request_id", RequestID(ctx), "action", name, "code", info.Code)
		}
		if info.Code == actions.CodeRateLimited {
			w.Header().Set("Retry-After", "60")
		}
		writeErrorDetail(w, r, status, ErrorDetail{Code: info.Code, Message: info.Message, Retryable: info.Retryable})
		return
	}
	d.cfg.Metrics.ObserveAction("rest", name, "ok", time.Since(start))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	_, _ = w.Write([]byte{'\n'})
}
