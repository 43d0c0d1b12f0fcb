package botpressemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/planbridge/planbridge/botpress"
)

// CallRequest is the body of POST /_emulator/call.
type CallRequest struct {
	// IntegrationURL overrides the emulator's integration URL.
	IntegrationURL    string             `json:"integrationUrl,omitempty"`
	Operation         botpress.Operation `json:"operation"`
	Configuration     json.RawMessage    `json:"configuration,omitempty"`
	ConfigurationType string             `json:"configurationType,omitempty"`
	// Payload is the operation body; for register and unregister it
	// defaults to {"webhookUrl": <this installation's webhook URL>}.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// CallResult is the answer of POST /_emulator/call: the integration's answer.
type CallResult struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	// Body is the answer's JSON, or a JSON string when it was not JSON.
	Body json.RawMessage `json:"body"`
}

// SendMessageRequest is the body of POST /_emulator/send-message.
type SendMessageRequest struct {
	IntegrationURL string            `json:"integrationUrl,omitempty"`
	Configuration  json.RawMessage   `json:"configuration,omitempty"`
	ConversationID string            `json:"conversationId"`
	UserID         string            `json:"userId,omitempty"`
	Type           string            `json:"type"`
	Payload        json.RawMessage   `json:"payload"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// Info describes the emulated installation (GET /_emulator/info).
type Info struct {
	APIURL           string `json:"apiUrl"`
	WebhookURL       string `json:"webhookUrl"`
	BotID            string `json:"botId"`
	BotUserID        string `json:"botUserId"`
	IntegrationID    string `json:"integrationId"`
	IntegrationAlias string `json:"integrationAlias"`
	WebhookID        string `json:"webhookId"`
	IntegrationURL   string `json:"integrationUrl,omitempty"`
}

const maxControlBody = 1 << 20

func (s *Server) routeControl(mux *http.ServeMux) {
	mux.HandleFunc("POST /_emulator/call", s.controlCall)
	mux.HandleFunc("POST /_emulator/send-message", s.controlSendMessage)
	mux.HandleFunc("POST /_emulator/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		writeJSON(w, http.StatusOK, struct{}{})
	})
	mux.HandleFunc("PUT /_emulator/configuration", func(w http.ResponseWriter, r *http.Request) {
		body, err := readControl(w, r)
		if err != nil {
			botpress.WriteError(w, err)
			return
		}
		if !json.Valid(body) || s.SetConfiguration(json.RawMessage(body)) != nil {
			botpress.WriteError(w, invalid("the configuration must be a JSON object"))
			return
		}
		writeJSON(w, http.StatusOK, struct{}{})
	})
	mux.HandleFunc("GET /_emulator/info", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Info()) })
	mux.HandleFunc("GET /_emulator/users", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Users()) })
	mux.HandleFunc("POST /_emulator/users", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Tags map[string]string `json:"tags"`
			Name string            `json:"name"`
		}
		if err := decodeControl(w, r, &in); err != nil {
			botpress.WriteError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, s.AddUser(in.Tags, in.Name))
	})
	mux.HandleFunc("GET /_emulator/conversations", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Conversations())
	})
	mux.HandleFunc("POST /_emulator/conversations", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Channel string            `json:"channel"`
			Tags    map[string]string `json:"tags"`
		}
		if err := decodeControl(w, r, &in); err != nil {
			botpress.WriteError(w, err)
			return
		}
		if in.Channel == "" {
			botpress.WriteError(w, invalid(`"channel" is required`))
			return
		}
		writeJSON(w, http.StatusCreated, s.AddConversation(in.Channel, in.Tags))
	})
	mux.HandleFunc("GET /_emulator/messages", func(w http.ResponseWriter, r *http.Request) {
		if c := r.URL.Query().Get("conversationId"); c != "" {
			writeJSON(w, http.StatusOK, s.MessagesIn(c))
			return
		}
		writeJSON(w, http.StatusOK, s.Messages())
	})
	mux.HandleFunc("GET /_emulator/events", func(w http.ResponseWriter, r *http.Request) {
		if t := r.URL.Query().Get("type"); t != "" {
			writeJSON(w, http.StatusOK, s.EventsOfType(t))
			return
		}
		writeJSON(w, http.StatusOK, s.Events())
	})
	mux.HandleFunc("GET /_emulator/states", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.States()) })
	mux.HandleFunc("GET /_emulator/requests", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Requests())
	})
	mux.HandleFunc("GET /_emulator/configure-calls", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.ConfigureCalls())
	})
}

// Info describes the emulated installation.
func (s *Server) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Info{APIURL: s.URL, WebhookURL: s.WebhookURL(), BotID: s.BotID, BotUserID: s.BotUserID,
		IntegrationID: s.IntegrationID, IntegrationAlias: s.IntegrationAlias, WebhookID: s.WebhookID,
		IntegrationURL: s.cfg.integrationURL}
}

func (s *Server) controlCall(w http.ResponseWriter, r *http.Request) {
	var in CallRequest
	if err := decodeControl(w, r, &in); err != nil {
		botpress.WriteError(w, err)
		return
	}
	if in.Operation == "" {
		botpress.WriteError(w, invalid(`"operation" is required, e.g. "action_triggered"`))
		return
	}
	opts := CallOptions{Operation: in.Operation, ConfigurationType: in.ConfigurationType}
	if len(in.Configuration) > 0 && string(in.Configuration) != "null" {
		opts.Configuration = in.Configuration
	}
	switch {
	case len(in.Payload) > 0 && string(in.Payload) != "null":
		opts.Payload = in.Payload
	case in.Operation == botpress.OpRegister || in.Operation == botpress.OpUnregister:
		opts.Payload = botpress.RegisterPayload{WebhookURL: s.WebhookURL()}
	}
	resp, err := s.Do(r.Context(), in.IntegrationURL, opts)
	if err != nil {
		botpress.WriteError(w, botpress.NewError(http.StatusBadGateway, botpress.TypeRuntime, err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, callResult(resp))
}

func (s *Server) controlSendMessage(w http.ResponseWriter, r *http.Request) {
	var in SendMessageRequest
	if err := decodeControl(w, r, &in); err != nil {
		botpress.WriteError(w, err)
		return
	}
	var cfg any
	if len(in.Configuration) > 0 && string(in.Configuration) != "null" {
		cfg = in.Configuration
	}
	resp, msg, err := s.SendMessage(r.Context(), in.IntegrationURL, cfg, OutgoingMessage{
		ConversationID: in.ConversationID, UserID: in.UserID, Type: in.Type, Payload: in.Payload, Tags: in.Tags})
	if err != nil {
		botpress.WriteError(w, invalid(err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": msg, "answer": callResult(resp)})
}

func callResult(resp *Response) CallResult {
	out := CallResult{Status: resp.Status, Headers: map[string]string{}}
	for k := range resp.Header {
		out.Headers[strings.ToLower(k)] = resp.Header.Get(k)
	}
	if json.Valid(resp.Body) && len(resp.Body) > 0 {
		out.Body = json.RawMessage(resp.Body)
	} else {
		out.Body, _ = json.Marshal(string(resp.Body))
	}
	return out
}

// handleWebhook is Botpress's webhook host: any request to
// /webhook/<webhookId>/<path> reaches the integration as webhook_received,
// and the integration's answer goes back to the caller.
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("webhookID") != s.WebhookID {
		writeJSON(w, http.StatusNotFound, botpress.NewError(http.StatusNotFound, botpress.TypeResourceNotFound, "no installation has this webhook id"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.maxBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, botpress.NewError(http.StatusRequestEntityTooLarge, botpress.TypePayloadTooLarge, "the webhook body is too large"))
		return
	}
	path := ""
	if p := r.PathValue("path"); p != "" || strings.HasSuffix(r.URL.Path, "/") {
		path = "/" + p
	}
	headers := map[string]string{}
	for k := range r.Header {
		headers[strings.ToLower(k)] = r.Header.Get(k)
	}
	req := botpress.WebhookRequest{Method: r.Method, Path: path, Query: r.URL.RawQuery, Headers: headers, Body: string(body)}
	resp, err := s.SendWebhook(r.Context(), "", nil, req)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, botpress.NewError(http.StatusBadGateway, botpress.TypeRuntime, "the integration could not be reached"))
		return
	}
	for k, vs := range resp.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Connection", "Transfer-Encoding", "Date":
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func readControl(w http.ResponseWriter, r *http.Request) ([]byte, *botpress.Error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		return nil, botpress.NewError(http.StatusUnsupportedMediaType, botpress.TypeUnsupportedMedia, "send the control request as application/json (with curl: -H 'Content-Type: application/json')")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, botpress.NewError(http.StatusRequestEntityTooLarge, botpress.TypePayloadTooLarge, fmt.Sprintf("the control request exceeds %d bytes", maxControlBody))
		}
		return nil, invalid("the control request body could not be read")
	}
	return body, nil
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) *botpress.Error {
	body, err := readControl(w, r)
	if err != nil {
		return err
	}
	return decode(body, v)
}
