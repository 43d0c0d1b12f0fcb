package botpressemu

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/planbridge/planbridge/botpress"
)

// maxTagLength is the Runtime API's tag value limit.
const maxTagLength = 500

// maxRecordedRequests bounds the request log of a long-running emulator.
const maxRecordedRequests = 10000

type apiFunc func(r *http.Request, body []byte) (any, *botpress.Error)

func (s *Server) routeRuntime(mux *http.ServeMux) {
	h := func(pattern string, fn apiFunc) { mux.Handle(pattern, s.api(pattern, fn)) }
	h("POST /v1/chat/users/get-or-create", withBody(s.getOrCreateUser))
	h("POST /v1/chat/users", withBody(s.createUser))
	h("GET /v1/chat/users/{id}", s.getUser)
	h("PUT /v1/chat/users/{id}", s.updateUser)
	h("GET /v1/chat/users", s.listUsers)
	h("POST /v1/chat/conversations/get-or-create", withBody(s.getOrCreateConversation))
	h("POST /v1/chat/conversations", withBody(s.newConversation))
	h("GET /v1/chat/conversations/{id}", s.getConversation)
	h("PUT /v1/chat/conversations/{id}", s.updateConversation)
	h("GET /v1/chat/conversations", s.listConversations)
	h("POST /v1/chat/conversations/{id}/participants", s.addParticipant)
	h("GET /v1/chat/conversations/{id}/participants", s.listParticipants)
	h("POST /v1/chat/messages", withBody(s.createMessage))
	h("POST /v1/chat/messages/get-or-create", withBody(s.getOrCreateMessage))
	h("GET /v1/chat/messages/{id}", s.getMessage)
	h("PUT /v1/chat/messages/{id}", s.updateMessage)
	h("GET /v1/chat/messages", s.listMessages)
	h("POST /v1/chat/events", withBody(s.createEvent))
	h("GET /v1/chat/events/{id}", s.getEvent)
	h("GET /v1/chat/states/{type}/{id}/{name}", s.getState)
	h("POST /v1/chat/states/{type}/{id}/{name}", s.withStateInput(s.setState))
	h("POST /v1/chat/states/{type}/{id}/{name}/get-or-set", s.withStateInput(s.getOrSetState))
	h("PATCH /v1/chat/states/{type}/{id}/{name}", s.withStateInput(s.patchState))
	h("POST /v1/chat/integrations/configure", withBody(s.configureIntegration))
	h("/v1/", func(r *http.Request, _ []byte) (any, *botpress.Error) {
		return nil, botpress.NewError(http.StatusMethodNotAllowed, botpress.TypeMethodNotFound,
			fmt.Sprintf("%s %s is not a Runtime API endpoint this emulator serves", r.Method, r.URL.Path))
	})
}

// api wraps an endpoint with what every Runtime API call goes through:
// body limit, token and scope checks, fault injection, recording, locking.
func (s *Server) api(route string, fn apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := RuntimeRequest{
			Method: r.Method, Route: route, Path: r.URL.Path, Query: r.URL.RawQuery,
			BotID: r.Header.Get("x-bot-id"), IntegrationID: r.Header.Get("x-integration-id"),
			IntegrationAlias: r.Header.Get("x-integration-alias"), TraceParent: r.Header.Get("traceparent"),
			ContentType: r.Header.Get("Content-Type"),
		}
		rec.TokenOK = s.tokenOK(r.Header.Get("Authorization"))
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.maxBody))
		var out any
		var apiErr *botpress.Error
		switch {
		case err != nil:
			apiErr = botpress.NewError(http.StatusRequestEntityTooLarge, botpress.TypePayloadTooLarge, fmt.Sprintf("the request body exceeds %d bytes", s.cfg.maxBody))
		case !rec.TokenOK:
			apiErr = botpress.NewError(http.StatusUnauthorized, botpress.TypeUnauthorized, "Authentication failed: send Authorization: Bearer <integration access key>")
		case rec.BotID == "":
			apiErr = invalid("Missing x-bot-id header: Runtime API calls are scoped to a bot")
		case rec.BotID != s.BotID:
			apiErr = botpress.NewError(http.StatusForbidden, botpress.TypeForbidden, fmt.Sprintf("The token has no access to bot %q", rec.BotID))
		case rec.IntegrationID == "":
			apiErr = invalid("Missing x-integration-id header: integration calls must name their installation")
		case rec.IntegrationID != s.IntegrationID:
			apiErr = botpress.NewError(http.StatusForbidden, botpress.TypeForbidden, fmt.Sprintf("Integration %q is not installed in bot %q", rec.IntegrationID, rec.BotID))
		case len(body) > 0 && !isJSON(rec.ContentType):
			apiErr = botpress.NewError(http.StatusUnsupportedMediaType, botpress.TypeUnsupportedMedia, "the request body must be sent as application/json")
		}
		if len(body) > 0 && json.Valid(body) {
			rec.Body = json.RawMessage(body)
		}
		s.mu.Lock()
		if apiErr == nil && s.st.failNext > 0 {
			s.st.failNext--
			apiErr = botpress.NewError(s.st.failStatus, failType(s.st.failStatus), "injected failure")
			if s.st.failRetryAfter != "" {
				w.Header().Set("Retry-After", s.st.failRetryAfter)
			}
		}
		if apiErr == nil {
			out, apiErr = fn(r, body)
		}
		status := http.StatusOK
		if apiErr != nil {
			status = apiErr.Code
		}
		rec.Status = status
		if len(s.st.requests) >= maxRecordedRequests {
			s.st.requests = slices.Delete(s.st.requests, 0, len(s.st.requests)-maxRecordedRequests+1)
		}
		s.st.requests = append(s.st.requests, rec)
		s.changed()
		s.mu.Unlock()

		s.cfg.logger.Debug("botpressemu: runtime call", "route", route, "status", status)
		if apiErr != nil {
			botpress.WriteError(w, apiErr)
			return
		}
		if out == nil {
			out = struct{}{}
		}
		writeJSON(w, status, out)
	})
}

func (s *Server) tokenOK(auth string) bool {
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.Token)) == 1
}

func failType(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return botpress.TypeRateLimited
	case http.StatusUnauthorized:
		return botpress.TypeUnauthorized
	case http.StatusNotFound:
		return botpress.TypeResourceNotFound
	}
	if status >= 500 {
		return botpress.TypeInternal
	}
	return botpress.TypeInvalidPayload
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":500,"type":"Internal","message":"encoding failure"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decode parses a JSON object body into v with field-level messages.
func decode(body []byte, v any) *botpress.Error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return invalid("the request body is empty; send a JSON object")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return invalid(fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type, te.Value))
		}
		return invalid("the request body is not a valid JSON object")
	}
	return nil
}

// withBody adapts an endpoint whose input is the whole JSON body: a body
// that does not decode into T is answered before the endpoint runs.
func withBody[T any](fn func(in T) (any, *botpress.Error)) apiFunc {
	return func(_ *http.Request, body []byte) (any, *botpress.Error) {
		var in T
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		return fn(in)
	}
}

// lookup finds a stored record by id; an unknown id is the Runtime API's
// 404 naming kind.
func lookup[T any](records map[string]*T, kind, id string) (*T, *botpress.Error) {
	v, ok := records[id]
	if !ok {
		return nil, notFound(kind, id)
	}
	return v, nil
}

func (s *Server) checkTags(kind string, tags map[string]string, declared map[string]*botpress.TagDefinition) *botpress.Error {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if len(tags[k]) > maxTagLength {
			return invalid(fmt.Sprintf("%s tag %q is longer than %d characters", kind, k, maxTagLength))
		}
		if s.cfg.definition != nil {
			if _, ok := declared[k]; !ok {
				return invalid(fmt.Sprintf("%s tag %q is not declared in the integration definition", kind, k))
			}
		}
	}
	return nil
}

func (s *Server) userTagDefs() map[string]*botpress.TagDefinition {
	if d := s.cfg.definition; d != nil && d.User != nil {
		return d.User.Tags
	}
	return nil
}

func (s *Server) channelDef(channel string) (*botpress.ChannelDefinition, *botpress.Error) {
	if s.cfg.definition == nil {
		return nil, nil
	}
	ch := s.cfg.definition.Channels[channel]
	if ch == nil {
		return nil, invalid(fmt.Sprintf("channel %q is not declared in the integration definition", channel))
	}
	return ch, nil
}

func convTagDefs(ch *botpress.ChannelDefinition) map[string]*botpress.TagDefinition {
	if ch != nil && ch.Conversation != nil {
		return ch.Conversation.Tags
	}
	return nil
}

func msgTagDefs(ch *botpress.ChannelDefinition) map[string]*botpress.TagDefinition {
	if ch != nil && ch.Message != nil {
		return ch.Message.Tags
	}
	return nil
}

// ---- users ----

type userInput struct {
	Tags               map[string]string `json:"tags"`
	Name               *string           `json:"name"`
	PictureURL         *string           `json:"pictureUrl"`
	Attributes         map[string]string `json:"attributes"`
	DiscriminateByTags []string          `json:"discriminateByTags"`
}

func userReply(u *botpress.User) any { return map[string]any{"user": copyUser(u)} }

// newUser stores a user and answers with it.
func (s *Server) newUser(in userInput) (any, *botpress.Error) {
	if err := s.checkTags("user", in.Tags, s.userTagDefs()); err != nil {
		return nil, err
	}
	u := s.st.newUser(in.Tags, s.stamp())
	u.Attributes = in.Attributes
	if in.Name != nil {
		u.Name = *in.Name
	}
	if in.PictureURL != nil {
		u.PictureURL = *in.PictureURL
	}
	return userReply(u), nil
}

func (s *Server) getOrCreateUser(in userInput) (any, *botpress.Error) {
	if in.Tags == nil {
		return nil, invalid(`"tags" is required`)
	}
	if len(in.Tags) == 0 && len(in.DiscriminateByTags) == 0 {
		return nil, invalid(`"tags" must name at least one tag to look the user up by`)
	}
	for _, id := range s.st.userOrder {
		if u := s.st.users[id]; tagsMatch(u.Tags, in.Tags, in.DiscriminateByTags) && id != s.BotUserID {
			return userReply(u), nil
		}
	}
	return s.newUser(in)
}

func (s *Server) createUser(in userInput) (any, *botpress.Error) {
	if in.Tags == nil {
		return nil, invalid(`"tags" is required`)
	}
	return s.newUser(in)
}

func (s *Server) getUser(r *http.Request, _ []byte) (any, *botpress.Error) {
	u, err := lookup(s.st.users, "User", r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return userReply(u), nil
}

func (s *Server) updateUser(r *http.Request, body []byte) (any, *botpress.Error) {
	u, err := lookup(s.st.users, "User", r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	var in userInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := s.checkTags("user", in.Tags, s.userTagDefs()); err != nil {
		return nil, err
	}
	u.Tags = mergeTags(u.Tags, in.Tags)
	if in.Name != nil {
		u.Name = *in.Name
	}
	if in.PictureURL != nil {
		u.PictureURL = *in.PictureURL
	}
	if in.Attributes != nil {
		u.Attributes = mergeTags(u.Attributes, in.Attributes)
	}
	u.UpdatedAt = s.stamp()
	return userReply(u), nil
}

func (s *Server) listUsers(r *http.Request, _ []byte) (any, *botpress.Error) {
	q := r.URL.Query()
	tags := dottedQuery(q, "tags")
	conv := q.Get("conversationId")
	var all []botpress.User
	for _, id := range s.st.userOrder {
		u := s.st.users[id]
		if conv != "" && !slices.Contains(s.st.participants[conv], id) {
			continue
		}
		if tagsMatch(u.Tags, tags, nil) {
			all = append(all, copyUser(u))
		}
	}
	return pageReply("users", all, q.Get("nextToken"), s.cfg.pageSize)
}

// ---- conversations ----

type conversationInput struct {
	Channel            string            `json:"channel"`
	Tags               map[string]string `json:"tags"`
	DiscriminateByTags []string          `json:"discriminateByTags"`
	CurrentTaskID      *string           `json:"currentTaskId"`
}

func conversationReply(c *botpress.Conversation) any {
	return map[string]any{"conversation": copyConversation(c)}
}

// newConversation stores a conversation and answers with it.
func (s *Server) newConversation(in conversationInput) (any, *botpress.Error) {
	if in.Channel == "" {
		return nil, invalid(`"channel" is required`)
	}
	ch, err := s.channelDef(in.Channel)
	if err != nil {
		return nil, err
	}
	if err := s.checkTags("conversation", in.Tags, convTagDefs(ch)); err != nil {
		return nil, err
	}
	c := s.st.newConversation(in.Channel, s.IntegrationName, in.Tags, s.stamp())
	return conversationReply(c), nil
}

func (s *Server) getOrCreateConversation(in conversationInput) (any, *botpress.Error) {
	if in.Tags == nil {
		return nil, invalid(`"tags" is required`)
	}
	for _, id := range s.st.convOrder {
		c := s.st.conversations[id]
		if c.Channel == in.Channel && tagsMatch(c.Tags, in.Tags, in.DiscriminateByTags) && len(in.Tags) > 0 {
			return conversationReply(c), nil
		}
	}
	return s.newConversation(in)
}

func (s *Server) getConversation(r *http.Request, _ []byte) (any, *botpress.Error) {
	c, err := lookup(s.st.conversations, "Conversation", r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return conversationReply(c), nil
}

func (s *Server) updateConversation(r *http.Request, body []byte) (any, *botpress.Error) {
	c, err := lookup(s.st.conversations, "Conversation", r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	var in conversationInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ch, _ := s.channelDef(c.Channel)
	if err := s.checkTags("conversation", in.Tags, convTagDefs(ch)); err != nil {
		return nil, err
	}
	c.Tags = mergeTags(c.Tags, in.Tags)
	if in.CurrentTaskID != nil {
		c.CurrentTaskID = *in.CurrentTaskID
	}
	c.UpdatedAt = s.stamp()
	return conversationReply(c), nil
}

func (s *Server) listConversations(r *http.Request, _ []byte) (any, *botpress.Error) {
	q := r.URL.Query()
	tags := dottedQuery(q, "tags")
	channel := q.Get("channel")
	participants := q["participantIds"]
	var all []botpress.Conversation
	for _, id := range s.st.convOrder {
		c := s.st.conversations[id]
		if channel != "" && c.Channel != channel {
			continue
		}
		if !tagsMatch(c.Tags, tags, nil) {
			continue
		}
		if !containsAll(s.st.participants[id], participants) {
			continue
		}
		all = append(all, copyConversation(c))
	}
	return pageReply("conversations", all, q.Get("nextToken"), s.cfg.pageSize)
}

func (s *Server) addParticipant(r *http.Request, body []byte) (any, *botpress.Error) {
	id := r.PathValue("id")
	if _, err := lookup(s.st.conversations, "Conversation", id); err != nil {
		return nil, err
	}
	var in struct {
		UserID string `json:"userId"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	u, err := lookup(s.st.users, "User", in.UserID)
	if err != nil {
		return nil, err
	}
	s.st.ensureParticipant(id, in.UserID)
	return map[string]any{"participant": copyUser(u)}, nil
}

func (s *Server) listParticipants(r *http.Request, _ []byte) (any, *botpress.Error) {
	id := r.PathValue("id")
	if _, err := lookup(s.st.conversations, "Conversation", id); err != nil {
		return nil, err
	}
	var all []botpress.User
	for _, uid := range s.st.participants[id] {
		all = append(all, copyUser(s.st.users[uid]))
	}
	return pageReply("participants", all, r.URL.Query().Get("nextToken"), s.cfg.pageSize)
}

// ---- messages ----

type messageInput struct {
	Type               string            `json:"type"`
	Payload            json.RawMessage   `json:"payload"`
	UserID             string            `json:"userId"`
	ConversationID     string            `json:"conversationId"`
	Tags               map[string]string `json:"tags"`
	Origin             string            `json:"origin"`
	DiscriminateByTags []string          `json:"discriminateByTags"`
	Schedule           json.RawMessage   `json:"schedule"`
}

// validateMessage checks in against the records and its channel's
// definition, as Botpress does before storing a message.
func (s *Server) validateMessage(in *messageInput) *botpress.Error {
	switch {
	case in.Type == "":
		return invalid(`"type" is required (e.g. "text")`)
	case len(in.Payload) == 0 || in.Payload[0] != '{':
		return invalid(`"payload" must be an object`)
	case in.UserID == "":
		return invalid(`"userId" is required`)
	case in.ConversationID == "":
		return invalid(`"conversationId" is required`)
	case in.Tags == nil:
		return invalid(`"tags" is required (may be {})`)
	case in.Origin != "" && in.Origin != "synthetic":
		return invalid(`"origin" must be "synthetic" when set`)
	}
	c, err := lookup(s.st.conversations, "Conversation", in.ConversationID)
	if err != nil {
		return err
	}
	if _, err := lookup(s.st.users, "User", in.UserID); err != nil {
		return err
	}
	ch, err := s.channelDef(c.Channel)
	if err != nil {
		return err
	}
	if ch != nil {
		if _, ok := ch.Messages[in.Type]; !ok {
			return invalid(fmt.Sprintf("message type %q is not declared in channel %q", in.Type, c.Channel))
		}
	}
	if err := s.checkTags("message", in.Tags, msgTagDefs(ch)); err != nil {
		return err
	}
	return nil
}

func messageReply(m *botpress.Message) any { return map[string]any{"message": copyMessage(m)} }

func (s *Server) storeMessage(in messageInput, direction string) *botpress.Message {
	now := s.stamp()
	m := &botpress.Message{ID: s.st.id("msg"), Type: in.Type, Payload: slices.Clone(in.Payload), Direction: direction,
		UserID: in.UserID, ConversationID: in.ConversationID, Tags: cloneTags(in.Tags), Origin: in.Origin,
		CreatedAt: now, UpdatedAt: now}
	s.st.addMessage(m)
	s.st.ensureParticipant(in.ConversationID, in.UserID)
	return m
}

func (s *Server) createMessage(in messageInput) (any, *botpress.Error) {
	if err := s.validateMessage(&in); err != nil {
		return nil, err
	}
	return messageReply(s.storeMessage(in, botpress.DirectionIncoming)), nil
}

func (s *Server) getOrCreateMessage(in messageInput) (any, *botpress.Error) {
	if err := s.validateMessage(&in); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 {
		for _, id := range s.st.msgOrder {
			m := s.st.messages[id]
			if m.ConversationID == in.ConversationID && tagsMatch(m.Tags, in.Tags, in.DiscriminateByTags) {
				return messageReply(m), nil
			}
		}
	}
	return messageReply(s.storeMessage(in, botpress.DirectionIncoming)), nil
}

func (s *Server) getMessage(r *http.Request, _ []byte) (any, *botpress.Error) {
	m, err := lookup(s.st.messages, "Message", r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return messageReply(m), nil
}

func (s *Server) updateMessage(r *http.Request, body []byte) (any, *botpress.Error) {
	m, err := lookup(s.st.messages, "Message", r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	var in struct {
		Tags    map[string]string `json:"tags"`
		Payload json.RawMessage   `json:"payload"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var ch *botpress.ChannelDefinition
	if c := s.st.conversations[m.ConversationID]; c != nil {
		ch, _ = s.channelDef(c.Channel)
	}
	if err := s.checkTags("message", in.Tags, msgTagDefs(ch)); err != nil {
		return nil, err
	}
	if len(in.Payload) > 0 && string(in.Payload) != "null" {
		if in.Payload[0] != '{' {
			return nil, invalid(`"payload" must be an object`)
		}
		m.Payload = slices.Clone(in.Payload)
	}
	m.Tags = mergeTags(m.Tags, in.Tags)
	m.UpdatedAt = s.stamp()
	return messageReply(m), nil
}

func (s *Server) listMessages(r *http.Request, _ []byte) (any, *botpress.Error) {
	q := r.URL.Query()
	tags := dottedQuery(q, "tags")
	conv := q.Get("conversationId")
	after, before := q.Get("afterDate"), q.Get("beforeDate")
	var all []botpress.Message
	for _, id := range s.st.msgOrder {
		m := s.st.messages[id]
		if conv != "" && m.ConversationID != conv {
			continue
		}
		if !tagsMatch(m.Tags, tags, nil) {
			continue
		}
		if (after != "" && m.CreatedAt <= after) || (before != "" && m.CreatedAt >= before) {
			continue
		}
		all = append(all, copyMessage(m))
	}
	return pageReply("messages", all, q.Get("nextToken"), s.cfg.pageSize)
}

// ---- events ----

type eventInput struct {
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload"`
	ConversationID string          `json:"conversationId"`
	UserID         string          `json:"userId"`
	MessageID      string          `json:"messageId"`
}

func (s *Server) createEvent(in eventInput) (any, *botpress.Error) {
	switch {
	case in.Type == "":
		return nil, invalid(`"type" is required`)
	case len(in.Payload) == 0 || in.Payload[0] != '{':
		return nil, invalid(`"payload" must be an object`)
	}
	if d := s.cfg.definition; d != nil {
		if _, ok := d.Events[in.Type]; !ok {
			return nil, invalid(fmt.Sprintf("event type %q is not declared in the integration definition", in.Type))
		}
	}
	if _, ok := s.st.conversations[in.ConversationID]; in.ConversationID != "" && !ok {
		return nil, notFound("Conversation", in.ConversationID)
	}
	if _, ok := s.st.users[in.UserID]; in.UserID != "" && !ok {
		return nil, notFound("User", in.UserID)
	}
	if _, ok := s.st.messages[in.MessageID]; in.MessageID != "" && !ok {
		return nil, notFound("Message", in.MessageID)
	}
	ev := botpress.Event{ID: s.st.id("evt"), Type: in.Type, Payload: slices.Clone(in.Payload), ConversationID: in.ConversationID,
		UserID: in.UserID, MessageID: in.MessageID, Status: "pending", CreatedAt: s.stamp()}
	s.st.events = append(s.st.events, ev)
	return map[string]any{"event": ev}, nil
}

func (s *Server) getEvent(r *http.Request, _ []byte) (any, *botpress.Error) {
	for _, ev := range s.st.events {
		if ev.ID == r.PathValue("id") {
			return map[string]any{"event": ev}, nil
		}
	}
	return nil, notFound("Event", r.PathValue("id"))
}

// ---- states ----

func (s *Server) stateKey(r *http.Request) (stateKey, *botpress.Error) {
	k := stateKey{typ: botpress.StateType(r.PathValue("type")), id: r.PathValue("id"), name: r.PathValue("name")}
	switch k.typ {
	case botpress.StateIntegration:
		if k.id != s.IntegrationID {
			return k, botpress.NewError(http.StatusForbidden, botpress.TypeForbidden, fmt.Sprintf("integration states use the installation's integration id %q, not %q", s.IntegrationID, k.id))
		}
	case botpress.StateConversation:
		if _, ok := s.st.conversations[k.id]; !ok {
			return k, notFound("Conversation", k.id)
		}
	case botpress.StateUser:
		if _, ok := s.st.users[k.id]; !ok {
			return k, notFound("User", k.id)
		}
	default:
		return k, invalid(fmt.Sprintf("state type %q must be integration, conversation or user", k.typ))
	}
	if d := s.cfg.definition; d != nil {
		sd := d.States[k.name]
		if sd == nil {
			return k, invalid(fmt.Sprintf("state %q is not declared in the integration definition", k.name))
		}
		if sd.Type != k.typ {
			return k, invalid(fmt.Sprintf("state %q is declared with type %q, not %q", k.name, sd.Type, k.typ))
		}
	}
	return k, nil
}

func (s *Server) liveState(k stateKey) *storedState {
	st := s.st.states[k]
	if st == nil {
		return nil
	}
	if !st.expires.IsZero() && !s.cfg.now().Before(st.expires) {
		delete(s.st.states, k)
		return nil
	}
	return st
}

type stateInput struct {
	Payload json.RawMessage `json:"payload"`
	Expiry  *int64          `json:"expiry"`
}

func (s *Server) putState(k stateKey, in stateInput) *storedState {
	now := s.stamp()
	st := s.st.states[k]
	if st == nil {
		st = &storedState{state: botpress.State{ID: k.id, Type: k.typ, Name: k.name, CreatedAt: now}}
		s.st.states[k] = st
		s.st.stateOrder = append(s.st.stateOrder, k)
	}
	st.state.Payload = slices.Clone(in.Payload)
	st.state.UpdatedAt = now
	st.expires, st.state.ExpiresAt = time.Time{}, ""
	if in.Expiry != nil && *in.Expiry > 0 {
		st.expires = s.cfg.now().Add(time.Duration(*in.Expiry) * time.Millisecond)
		st.state.ExpiresAt = st.expires.UTC().Format(time.RFC3339Nano)
	}
	return st
}

// stateReply answers with a state as read, never from a cache.
func stateReply(st botpress.State) any {
	return map[string]any{"state": st, "meta": map[string]bool{"cached": false}}
}

func stateNotFound(k stateKey) *botpress.Error {
	return notFound("State", fmt.Sprintf("%s/%s/%s", k.typ, k.id, k.name))
}

func (s *Server) getState(r *http.Request, _ []byte) (any, *botpress.Error) {
	k, err := s.stateKey(r)
	if err != nil {
		return nil, err
	}
	st := s.liveState(k)
	if st == nil {
		return nil, stateNotFound(k)
	}
	return stateReply(st.state), nil
}

func (s *Server) readStateInput(body []byte) (stateInput, *botpress.Error) {
	var in stateInput
	if err := decode(body, &in); err != nil {
		return in, err
	}
	if len(in.Payload) == 0 {
		return in, invalid(`"payload" is required (an object, or null to clear the state)`)
	}
	if string(in.Payload) != "null" && in.Payload[0] != '{' {
		return in, invalid(`"payload" must be an object or null`)
	}
	if in.Expiry != nil && *in.Expiry < 0 {
		return in, invalid(`"expiry" must be a positive number of milliseconds`)
	}
	return in, nil
}

// withStateInput adapts an endpoint that writes a state: the path's checks
// come before the body's.
func (s *Server) withStateInput(fn func(k stateKey, in stateInput) (any, *botpress.Error)) apiFunc {
	return func(r *http.Request, body []byte) (any, *botpress.Error) {
		k, err := s.stateKey(r)
		if err != nil {
			return nil, err
		}
		in, err := s.readStateInput(body)
		if err != nil {
			return nil, err
		}
		return fn(k, in)
	}
}

func (s *Server) setState(k stateKey, in stateInput) (any, *botpress.Error) {
	if string(in.Payload) == "null" {
		delete(s.st.states, k)
		return map[string]any{"state": botpress.State{ID: k.id, Type: k.typ, Name: k.name, Payload: json.RawMessage("null")}}, nil
	}
	return map[string]any{"state": s.putState(k, in).state}, nil
}

func (s *Server) getOrSetState(k stateKey, in stateInput) (any, *botpress.Error) {
	if st := s.liveState(k); st != nil {
		return stateReply(st.state), nil
	}
	if string(in.Payload) == "null" {
		return nil, invalid(`"payload" must be an object for get-or-set`)
	}
	return stateReply(s.putState(k, in).state), nil
}

func (s *Server) patchState(k stateKey, in stateInput) (any, *botpress.Error) {
	st := s.liveState(k)
	if st == nil {
		return nil, stateNotFound(k)
	}
	var cur, patch map[string]json.RawMessage
	_ = json.Unmarshal(st.state.Payload, &cur)
	if json.Unmarshal(in.Payload, &patch) != nil {
		return nil, invalid(`"payload" must be an object`)
	}
	if cur == nil {
		cur = map[string]json.RawMessage{}
	}
	maps.Copy(cur, patch)
	merged, _ := json.Marshal(cur)
	st.state.Payload = merged
	st.state.UpdatedAt = s.stamp()
	return map[string]any{"state": st.state}, nil
}

// ---- integration ----

var schedules = []string{"hourly", "daily", "weekly", "monthly", "yearly"}

func (s *Server) configureIntegration(in botpress.ConfigureIntegrationInput) (any, *botpress.Error) {
	if in.ScheduleRegisterCall != "" && !slices.Contains(schedules, in.ScheduleRegisterCall) {
		return nil, invalid(fmt.Sprintf(`"scheduleRegisterCall" must be one of %s`, strings.Join(schedules, ", ")))
	}
	s.st.configureCalls = append(s.st.configureCalls, in)
	return struct{}{}, nil
}

// ---- helpers ----

// pageReply answers a list endpoint with one page of all under key, cut at
// the opaque offset token, and the next page's token in "meta".
func pageReply[T any](key string, all []T, token string, size int) (any, *botpress.Error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(all) {
			return nil, invalid("nextToken is not valid; pass back the token of the previous page")
		}
		start = n
	}
	end := min(start+size, len(all))
	meta := map[string]any{}
	if end < len(all) {
		meta["nextToken"] = strconv.Itoa(end)
	}
	page := all[start:end]
	if page == nil {
		page = []T{}
	}
	return map[string]any{key: page, "meta": meta}, nil
}

// dottedQuery reads qs-style object params: tags.k=v.
func dottedQuery(q map[string][]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range q {
		if name, ok := strings.CutPrefix(k, prefix+"."); ok && len(v) > 0 {
			out[name] = v[0]
		}
	}
	return out
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
