package planfixemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/planbridge/planbridge/planfix"
)

// controlRoutes adds the /_emulator API that drives the emulator from
// outside the process (demos, scripts, other languages' tests).
func (s *Server) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /_emulator/reply", s.controlReply)
	mux.HandleFunc("POST /_emulator/write-first", s.controlWriteFirst)
	mux.HandleFunc("POST /_emulator/close-task", s.controlCloseTask)
	mux.HandleFunc("GET /_emulator/tasks", func(w http.ResponseWriter, r *http.Request) { writeControl(w, http.StatusOK, s.Tasks()) })
	mux.HandleFunc("GET /_emulator/contacts", func(w http.ResponseWriter, r *http.Request) { writeControl(w, http.StatusOK, s.Contacts()) })
	mux.HandleFunc("GET /_emulator/deliveries", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, http.StatusOK, nonNil(s.Deliveries()))
	})
	mux.HandleFunc("GET /_emulator/statuses/{messageId}", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, http.StatusOK, nonNil(s.MessageStatuses(r.PathValue("messageId"))))
	})
	mux.Handle("/_emulator/faults", &s.faults)
	mux.HandleFunc("/_emulator/faults/{id}", func(w http.ResponseWriter, r *http.Request) { s.faults.ServeOne(w, r, r.PathValue("id")) })
	mux.HandleFunc("POST /_emulator/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		writeControl(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

// nonNil makes an empty list encode as [] rather than null, so scripts can
// iterate the answer without a special case.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

type controlError struct {
	Error string `json:"error"`
}

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// decodeControl reads a JSON body strictly: a wrong field name is a typo the
// caller should hear about.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt := r.Header.Get("Content-Type"); mt != "" && !strings.HasPrefix(mt, "application/json") {
		writeControl(w, http.StatusUnsupportedMediaType, controlError{"send a JSON body with Content-Type: application/json"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeControl(w, http.StatusBadRequest, controlError{"malformed JSON body: " + err.Error()})
		return false
	}
	return true
}

type replyRequest struct {
	ChatID       string               `json:"chatId"`
	ContactPhone string               `json:"contactPhone"`
	Message      string               `json:"message"`
	Attachments  []planfix.Attachment `json:"attachments"`
	UserName     string               `json:"userName"`
	UserLastName string               `json:"userLastName"`
}

func (req replyRequest) reply(def Agent) Reply {
	r := Reply{Text: req.Message, Attachments: req.Attachments}
	if req.UserName != "" || req.UserLastName != "" {
		a := def
		a.Name, a.LastName = req.UserName, req.UserLastName
		r.Agent = &a
	}
	return r
}

func (s *Server) controlReply(w http.ResponseWriter, r *http.Request) {
	var req replyRequest
	if !decodeControl(w, r, &req) {
		return
	}
	if req.ChatID == "" || (strings.TrimSpace(req.Message) == "" && len(req.Attachments) == 0) {
		writeControl(w, http.StatusBadRequest, controlError{`"chatId" and a "message" or "attachments" are required`})
		return
	}
	d, err := s.Reply(r.Context(), req.ChatID, req.reply(s.cfg.agent))
	s.answerDelivery(w, d, err)
}

func (s *Server) controlWriteFirst(w http.ResponseWriter, r *http.Request) {
	var req replyRequest
	if !decodeControl(w, r, &req) {
		return
	}
	if req.ContactPhone == "" || strings.TrimSpace(req.Message) == "" {
		writeControl(w, http.StatusBadRequest, controlError{`"contactPhone" and "message" are required`})
		return
	}
	d, err := s.WriteFirst(r.Context(), req.ContactPhone, req.reply(s.cfg.agent))
	s.answerDelivery(w, d, err)
}

func (s *Server) answerDelivery(w http.ResponseWriter, d Delivery, err error) {
	switch {
	case errors.Is(err, ErrNoChat):
		writeControl(w, http.StatusNotFound, controlError{err.Error()})
	case err != nil:
		writeControl(w, http.StatusConflict, controlError{err.Error()})
	case d.Err != "":
		writeControl(w, http.StatusBadGateway, d)
	default:
		writeControl(w, http.StatusOK, d)
	}
}

func (s *Server) controlCloseTask(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ChatID string `json:"chatId"`
		Number int64  `json:"number"`
	}
	if !decodeControl(w, r, &req) {
		return
	}
	if req.ChatID == "" && req.Number == 0 {
		writeControl(w, http.StatusBadRequest, controlError{`"chatId" (or the task "number") is required; see GET /_emulator/tasks`})
		return
	}
	n := req.Number
	if n == 0 {
		t, ok := s.TaskForChat(req.ChatID)
		if !ok {
			writeControl(w, http.StatusNotFound, controlError{fmt.Sprintf("no task for chatId %q; see GET /_emulator/tasks", req.ChatID)})
			return
		}
		n = t.Number
	}
	if err := s.CloseTask(n); err != nil {
		writeControl(w, http.StatusNotFound, controlError{err.Error()})
		return
	}
	t, _ := s.Task(n)
	writeControl(w, http.StatusOK, t)
}
