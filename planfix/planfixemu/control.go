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
	ContactEmail string               `json:"contactEmail"`
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
	if strings.TrimSpace(req.Message) == "" && len(req.Attachments) == 0 {
		writeControl(w, http.StatusBadRequest, controlError{`a "message" or "attachments" is required, with the "chatId" (or the "contactEmail") of the chat`})
		return
	}
	chatID, ok := s.controlChat(w, req.ChatID, req.ContactEmail)
	if !ok {
		return
	}
	d, err := s.Reply(r.Context(), chatID, req.reply(s.cfg.agent))
	s.answerDelivery(w, d, err)
}

func (s *Server) controlWriteFirst(w http.ResponseWriter, r *http.Request) {
	var req replyRequest
	if !decodeControl(w, r, &req) {
		return
	}
	if req.ContactEmail != "" {
		writeControl(w, http.StatusBadRequest, controlError{`write-first opens a new chat by "contactPhone"; to answer a contact's chat by "contactEmail" use POST /_emulator/reply`})
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
		ChatID       string `json:"chatId"`
		ContactEmail string `json:"contactEmail"`
		Number       int64  `json:"number"`
	}
	if !decodeControl(w, r, &req) {
		return
	}
	n := req.Number
	if n != 0 && req.ContactEmail != "" {
		writeControl(w, http.StatusBadRequest, controlError{`name the task by its "number" or by "contactEmail", not both`})
		return
	}
	if n == 0 {
		if req.ChatID == "" && req.ContactEmail == "" {
			writeControl(w, http.StatusBadRequest, controlError{`"chatId" (or the task "number", or the "contactEmail" of its contact) is required; see GET /_emulator/tasks`})
			return
		}
		chatID, ok := s.controlChat(w, req.ChatID, req.ContactEmail)
		if !ok {
			return
		}
		t, ok := s.TaskForChat(chatID)
		if !ok {
			writeControl(w, http.StatusNotFound, controlError{fmt.Sprintf("no task for chatId %q; see GET /_emulator/tasks", chatID)})
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

// controlChat resolves the chat a control call names, by its chatId or by
// the contact's email, and answers the call itself when it cannot. The
// email is what a script or a README already knows when the chat id was
// chosen by planbridge; it picks the contact's newest active task, as the
// agent's desk shows it first.
func (s *Server) controlChat(w http.ResponseWriter, chatID, email string) (string, bool) {
	switch {
	case chatID != "" && email != "":
		writeControl(w, http.StatusBadRequest, controlError{`name the chat by "chatId" or by "contactEmail", not both`})
		return "", false
	case chatID != "":
		return chatID, true
	case strings.TrimSpace(email) == "":
		writeControl(w, http.StatusBadRequest, controlError{`"chatId" (or the "contactEmail" of the chat's contact) is required; see GET /_emulator/tasks`})
		return "", false
	}
	if id, ok := s.chatOfContactEmail(email); ok {
		return id, true
	}
	writeControl(w, http.StatusNotFound, controlError{fmt.Sprintf("no active task has a contact with the email %q (a chat gets its task with its first newMessage); see GET /_emulator/tasks and /_emulator/contacts", email)})
	return "", false
}

// chatOfContactEmail returns the chat of the newest active task whose
// contact has this email, ignoring case as mail systems do.
func (s *Server) chatOfContactEmail(email string) (string, bool) {
	email = strings.TrimSpace(email)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.tasks) - 1; i >= 0; i-- {
		t := s.tasks[i]
		if !t.Active || t.Deleted || s.current[t.ChatID] != t {
			continue
		}
		if ct := s.contactByNumber(t.ContactNumber); ct != nil && strings.EqualFold(ct.Email, email) {
			return t.ChatID, true
		}
	}
	return "", false
}
