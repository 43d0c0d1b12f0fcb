package botpressemu

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/planbridge/planbridge/botpress"
)

// RuntimeRequest is one recorded Runtime API call. Authorization is never
// recorded; TokenOK says whether it carried the right token.
type RuntimeRequest struct {
	Method string `json:"method"`
	// Route is the matched pattern, e.g. "POST /v1/chat/messages".
	Route            string          `json:"route"`
	Path             string          `json:"path"`
	Query            string          `json:"query,omitempty"`
	BotID            string          `json:"botId,omitempty"`
	IntegrationID    string          `json:"integrationId,omitempty"`
	IntegrationAlias string          `json:"integrationAlias,omitempty"`
	TraceParent      string          `json:"traceparent,omitempty"`
	ContentType      string          `json:"contentType,omitempty"`
	Body             json.RawMessage `json:"body,omitempty"`
	TokenOK          bool            `json:"tokenOk"`
	Status           int             `json:"status"`
}

type stateKey struct {
	typ  botpress.StateType
	id   string
	name string
}

type storedState struct {
	state   botpress.State
	expires time.Time
}

type store struct {
	seq            int
	users          map[string]*botpress.User
	userOrder      []string
	conversations  map[string]*botpress.Conversation
	convOrder      []string
	participants   map[string][]string
	messages       map[string]*botpress.Message
	msgOrder       []string
	events         []botpress.Event
	states         map[stateKey]*storedState
	stateOrder     []stateKey
	configureCalls []botpress.ConfigureIntegrationInput
	requests       []RuntimeRequest
	failNext       int
	failStatus     int
	failRetryAfter string
}

func newStore() *store {
	return &store{
		users:         map[string]*botpress.User{},
		conversations: map[string]*botpress.Conversation{},
		participants:  map[string][]string{},
		messages:      map[string]*botpress.Message{},
		states:        map[stateKey]*storedState{},
	}
}

// addUser, addConversation and addMessage keep a record and its place in
// the creation order the listings follow.
func (st *store) addUser(u *botpress.User) {
	st.users[u.ID] = u
	st.userOrder = append(st.userOrder, u.ID)
}

func (st *store) addConversation(c *botpress.Conversation) {
	st.conversations[c.ID] = c
	st.convOrder = append(st.convOrder, c.ID)
}

// newUser and newConversation build the record every creation path
// shares, stamped now, and keep it; callers fill in the rest.
func (st *store) newUser(tags map[string]string, now string) *botpress.User {
	u := &botpress.User{ID: st.id("user"), Tags: cloneTags(tags), CreatedAt: now, UpdatedAt: now}
	st.addUser(u)
	return u
}

func (st *store) newConversation(channel, integration string, tags map[string]string, now string) *botpress.Conversation {
	c := &botpress.Conversation{ID: st.id("conv"), Channel: channel, Integration: integration, Tags: cloneTags(tags), CreatedAt: now, UpdatedAt: now}
	st.addConversation(c)
	return c
}

// ensureParticipant adds userID to the conversation's participants once.
func (st *store) ensureParticipant(conversationID, userID string) {
	if !slices.Contains(st.participants[conversationID], userID) {
		st.participants[conversationID] = append(st.participants[conversationID], userID)
	}
}

func (st *store) addMessage(m *botpress.Message) {
	st.messages[m.ID] = m
	st.msgOrder = append(st.msgOrder, m.ID)
}

func (st *store) id(prefix string) string {
	st.seq++
	return fmt.Sprintf("%s_%06d", prefix, st.seq)
}

func cloneTags(t map[string]string) map[string]string {
	out := make(map[string]string, len(t))
	maps.Copy(out, t)
	return out
}

// mergeTags applies Botpress tag semantics: an empty value unsets the tag.
func mergeTags(dst, src map[string]string) map[string]string {
	out := cloneTags(dst)
	for k, v := range src {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// tagsMatch reports whether have carries want's tags (all of them, or only
// the discriminating ones when given).
func tagsMatch(have, want map[string]string, discriminate []string) bool {
	keys := discriminate
	if len(keys) == 0 {
		keys = slices.Collect(maps.Keys(want))
	}
	for _, k := range keys {
		if have[k] != want[k] {
			return false
		}
	}
	return true
}

func copyUser(u *botpress.User) botpress.User {
	c := *u
	c.Tags = cloneTags(u.Tags)
	if u.Attributes != nil {
		c.Attributes = cloneTags(u.Attributes)
	}
	return c
}

func copyConversation(c *botpress.Conversation) botpress.Conversation {
	out := *c
	out.Tags = cloneTags(c.Tags)
	return out
}

func copyMessage(m *botpress.Message) botpress.Message {
	out := *m
	out.Tags = cloneTags(m.Tags)
	out.Payload = slices.Clone(m.Payload)
	return out
}

func notFound(what, id string) *botpress.Error {
	return botpress.NewError(http.StatusNotFound, botpress.TypeResourceNotFound, fmt.Sprintf("%s %q not found", what, id))
}

func invalid(msg string) *botpress.Error {
	return botpress.NewError(http.StatusBadRequest, botpress.TypeInvalidPayload, msg)
}
