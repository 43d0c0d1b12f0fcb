package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/store"
)

// handoffPageSize is how many sessions the hand-offs page shows at once.
const handoffPageSize = 100

// Session is how the console shows a hand-off session (and
// GET /v1/admin/handoffs answers it).
type Session struct {
	store.HandoffSessionSummary
	// Stuck says why the session looks stuck; empty when it does not.
	Stuck string `json:"stuck,omitempty"`
	// SinceAgentSeconds is how long ago the agent last answered (0 before any answer).
	SinceAgentSeconds float64 `json:"sinceAgentSeconds,omitempty"`
}

// Sessions lists hand-off sessions for the page and the JSON.
type Sessions struct {
	Sessions []Session `json:"sessions"`
	// NextBefore and NextBeforeChatID, when set, are the before= and
	// beforeChatId= of the next (older) page.
	NextBefore       time.Time `json:"nextBefore,omitzero"`
	NextBeforeChatID string    `json:"nextBeforeChatId,omitempty"`
}

// sessionsQueryFields are the parameters the hand-offs list takes.
var sessionsQueryFields = []string{"state", "conversationId", "chatId", "before", "beforeChatId", "limit"}

func (c *Console) listSessions(r *http.Request) (Sessions, error) {
	q := r.URL.Query()
	for name := range q {
		if !slices.Contains(sessionsQueryFields, name) && name != "done" && name != "n" {
			return Sessions{}, badInput("Unknown parameter %q; the hand-offs list takes %s.", truncate(name, 40), strings.Join(sessionsQueryFields, ", "))
		}
	}
	f := store.HandoffSessionFilter{State: q.Get("state"), ConversationID: strings.TrimSpace(q.Get("conversationId")), ChatID: strings.TrimSpace(q.Get("chatId")), Limit: handoffPageSize}
	if f.State != "" && f.State != store.HandoffOpen && f.State != store.HandoffStopped {
		return Sessions{}, badInput("state must be %s or %s, not %q.", store.HandoffOpen, store.HandoffStopped, truncate(f.State, 40))
	}
	if raw := q.Get("before"); raw != "" {
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			return Sessions{}, badInput("before must be a time like 2026-12-07T10:00:00Z (the nextBefore of the previous page), not %q.", truncate(raw, 40))
		}
		f.BeforeUpdated = t
		f.BeforeChatID = strings.TrimSpace(q.Get("beforeChatId"))
	} else if q.Get("beforeChatId") != "" {
		return Sessions{}, badInput("beforeChatId pages together with before; give both, from nextBefore and nextBeforeChatId.")
	}
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1000 {
			return Sessions{}, badInput("limit must be a whole number from 1 to 1000, not %q.", truncate(raw, 40))
		}
		f.Limit = n
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	list, err := c.opts.Store.HandoffSessions(ctx, f)
	if err != nil {
		return Sessions{}, err
	}
	now := c.opts.Now()
	out := Sessions{Sessions: make([]Session, 0, len(list))}
	for _, s := range list {
		out.Sessions = append(out.Sessions, c.showSession(s, now))
	}
	if len(list) == f.Limit && len(list) > 0 {
		last := list[len(list)-1]
		out.NextBefore, out.NextBeforeChatID = last.UpdatedAt, last.ChatID
	}
	return out, nil
}

// showSession decides whether an open session looks stuck: nobody has
// answered the user for StuckAfter, or the last messageStatus said the
// agent's reply did not reach the user.
func (c *Console) showSession(s store.HandoffSessionSummary, now time.Time) Session {
	out := Session{HandoffSessionSummary: s}
	if !s.LastFromPlanfix.IsZero() {
		out.SinceAgentSeconds = now.Sub(s.LastFromPlanfix).Round(time.Second).Seconds()
	}
	if s.State != store.HandoffOpen {
		return out
	}
	waitingSince := s.CreatedAt
	if s.LastFromBot.After(waitingSince) {
		waitingSince = s.LastFromBot
	}
	switch {
	case s.LastStatus == "error":
		out.Stuck = "the last agent reply did not reach the user"
	case !s.Assigned && now.Sub(s.CreatedAt) > c.opts.StuckAfter:
		out.Stuck = "no agent has answered for " + age(now.Sub(s.CreatedAt))
	case s.LastFromPlanfix.Before(waitingSince) && now.Sub(waitingSince) > c.opts.StuckAfter:
		out.Stuck = "the user has waited " + age(now.Sub(waitingSince)) + " for an answer"
	}
	return out
}

type handoffsView struct {
	Sessions
	State   string
	CanStop bool
	Next    string
	Now     time.Time
}

func (c *Console) handoffsPage(r *http.Request, v *view) (string, error) {
	v.Title, v.Nav, v.Refresh = "Hand-off sessions", "handoffs", 5
	hv := &handoffsView{State: r.URL.Query().Get("state"), CanStop: c.opts.Handoff != nil, Now: c.opts.Now()}
	v.Data = hv
	list, err := c.listSessions(r)
	if err != nil {
		return "handoffs", err
	}
	hv.Sessions = list
	if !list.NextBefore.IsZero() {
		q := r.URL.Query()
		q.Del("done")
		q.Set("before", list.NextBefore.Format(time.RFC3339Nano))
		q.Set("beforeChatId", list.NextBeforeChatID)
		hv.Next = "/console/handoffs?" + q.Encode()
	}
	return "handoffs", nil
}

func (c *Console) handoffsJSON(w http.ResponseWriter, r *http.Request) {
	list, err := c.listSessions(r)
	if err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			jsonError(w, r, actions.CodeInvalidInput, ue.msg)
			return
		}
		c.jsonStoreFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// stop ends a session as the operator.
func (c *Console) stop(r *http.Request, chatID, note string) (store.HandoffSession, error) {
	if c.opts.Handoff == nil {
		return store.HandoffSession{}, &userError{http.StatusServiceUnavailable, "This server runs no hand-off engine, so sessions cannot be stopped here."}
	}
	if len(note) > 2000 {
		return store.HandoffSession{}, badInput("The note for the agent is longer than 2,000 characters; shorten it.")
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	s, err := c.opts.Handoff.StopByOperator(ctx, chatID, strings.TrimSpace(note))
	if errors.Is(err, handoff.ErrNoSession) {
		return s, &userError{http.StatusNotFound, fmt.Sprintf("There is no hand-off session for chat %q; the hand-offs page lists them.", truncate(chatID, 64))}
	}
	if err == nil {
		c.log.Info("console: hand-off stopped by an operator", "chat", chatID, "request_id", requestID(r))
	}
	return s, err
}

func (c *Console) stopSession(w http.ResponseWriter, r *http.Request, _ session) (string, error) {
	if _, err := c.stop(r, r.PathValue("chatId"), r.PostForm.Get("note")); err != nil {
		return "", err
	}
	return "/console/handoffs?done=stopped", nil
}

// stopBody is the optional body of POST /v1/admin/handoffs/{chatId}/stop.
type stopBody struct {
	Note string `json:"note"`
}

func (c *Console) stopSessionJSON(w http.ResponseWriter, r *http.Request) {
	var body stopBody
	if r.ContentLength != 0 {
		raw, err := httpapi.DecodeActionInput(r.Header.Get("Content-Type"), r.Body, MaxFormBytes)
		if err != nil {
			var be *httpapi.BodyError
			if errors.As(err, &be) {
				httpapi.WriteError(w, r, be.Code, strings.Replace(be.Message, "action input", "body", 1))
				return
			}
			jsonError(w, r, actions.CodeMalformedJSON, "The body could not be read; send {\"note\": \"…\"} or nothing.")
			return
		}
		if err := decodeStrict(raw, &body); err != nil {
			jsonError(w, r, actions.CodeInvalidInput, "The body takes one optional field, note (text for the agent): "+err.Error()+".")
			return
		}
	}
	s, err := c.stop(r, r.PathValue("chatId"), body.Note)
	if err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			jsonError(w, r, codeFor(ue.status), ue.msg)
			return
		}
		c.jsonStoreFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}
