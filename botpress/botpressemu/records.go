package botpressemu

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/planbridge/planbridge/botpress"
)

// copiesInOrder copies every record of one kind in creation order, so
// callers never share the emulator's records.
func copiesInOrder[T any](order []string, records map[string]*T, copyOf func(*T) T) []T {
	out := make([]T, 0, len(order))
	for _, id := range order {
		out = append(out, copyOf(records[id]))
	}
	return out
}

// copyByID copies one record, reporting whether it is recorded.
func copyByID[T any](records map[string]*T, id string, copyOf func(*T) T) (T, bool) {
	v, ok := records[id]
	if !ok {
		var zero T
		return zero, false
	}
	return copyOf(v), true
}

// Users returns every recorded user (the bot's own user first).
func (s *Server) Users() []botpress.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copiesInOrder(s.st.userOrder, s.st.users, copyUser)
}

// User returns one user.
func (s *Server) User(id string) (botpress.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyByID(s.st.users, id, copyUser)
}

// Conversations returns every recorded conversation in creation order.
func (s *Server) Conversations() []botpress.Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copiesInOrder(s.st.convOrder, s.st.conversations, copyConversation)
}

// Conversation returns one conversation.
func (s *Server) Conversation(id string) (botpress.Conversation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyByID(s.st.conversations, id, copyConversation)
}

// Messages returns every recorded message in creation order.
func (s *Server) Messages() []botpress.Message {
	return s.messagesWhere(func(*botpress.Message) bool { return true })
}

// MessagesIn returns the messages of one conversation in creation order.
func (s *Server) MessagesIn(conversationID string) []botpress.Message {
	return s.messagesWhere(func(m *botpress.Message) bool { return m.ConversationID == conversationID })
}

// Message returns one message.
func (s *Server) Message(id string) (botpress.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyByID(s.st.messages, id, copyMessage)
}

func (s *Server) messagesWhere(keep func(*botpress.Message) bool) []botpress.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []botpress.Message{}
	for _, id := range s.st.msgOrder {
		if m := s.st.messages[id]; keep(m) {
			out = append(out, copyMessage(m))
		}
	}
	return out
}

// Events returns every event the integration created, in order.
func (s *Server) Events() []botpress.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.events)
}

// EventsOfType returns the events of one type, in order.
func (s *Server) EventsOfType(typ string) []botpress.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []botpress.Event{}
	for _, ev := range s.st.events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// States returns every live state in the order first set.
func (s *Server) States() []botpress.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []botpress.State{}
	for _, k := range s.st.stateOrder {
		if st := s.liveState(k); st != nil {
			out = append(out, st.state)
		}
	}
	return out
}

// State returns one live state.
func (s *Server) State(typ botpress.StateType, id, name string) (botpress.State, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.liveState(stateKey{typ: typ, id: id, name: name})
	if st == nil {
		return botpress.State{}, false
	}
	return st.state, true
}

// SetState stores a state directly, for seeding.
func (s *Server) SetState(typ botpress.StateType, id, name string, payload any) error {
	raw, err := marshalPayload(payload)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := stateKey{typ: typ, id: id, name: name}
	s.putState(k, stateInput{Payload: raw})
	s.changed()
	return nil
}

// Requests returns every Runtime API call received, in order.
func (s *Server) Requests() []RuntimeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.requests)
}

// ConfigureCalls returns the bodies of every configureIntegration call.
func (s *Server) ConfigureCalls() []botpress.ConfigureIntegrationInput {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.configureCalls)
}

// AddUser records a user directly, as if created elsewhere in Botpress.
func (s *Server) AddUser(tags map[string]string, name string) botpress.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.newUser(tags, s.stamp())
	u.Name = name
	s.changed()
	return copyUser(u)
}

// AddConversation records a conversation directly (no definition checks).
func (s *Server) AddConversation(channel string, tags map[string]string) botpress.Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.newConversation(channel, s.IntegrationName, tags, s.stamp())
	s.changed()
	return copyConversation(c)
}

// AddMessage records an incoming message directly (no definition checks),
// as if another integration of the bot (a webchat, say) had created it, so
// events may name it in their messageId.
func (s *Server) AddMessage(conversationID, userID, typ string, payload json.RawMessage) botpress.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.storeMessage(messageInput{Type: typ, Payload: payload, UserID: userID, ConversationID: conversationID}, botpress.DirectionIncoming)
	s.changed()
	return copyMessage(m)
}

// FailNext makes the next n Runtime API calls fail with status (and a
// Retry-After header when retryAfter is non-empty), to test retries.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.failNext, s.st.failStatus, s.st.failRetryAfter = n, status, retryAfter
}

// Reset forgets everything recorded except the bot's own user.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newStore()
	s.seedBotUser()
	s.changed()
}

// Wait blocks until cond returns true, re-evaluating it after every change
// the emulator records. Without a context deadline it gives up after the
// wait timeout (WithWaitTimeout).
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.waitTimeout)
		defer cancel()
	}
	for {
		s.mu.Lock()
		tick := s.tick
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("botpressemu: condition not met: %w", ctx.Err())
		case <-tick:
		case <-time.After(50 * time.Millisecond): // conditions may depend on state outside the emulator
		}
	}
}

// WaitForMessages waits until at least n messages match and returns them.
func (s *Server) WaitForMessages(ctx context.Context, n int, match func(botpress.Message) bool) ([]botpress.Message, error) {
	var got []botpress.Message
	err := s.Wait(ctx, func() bool {
		got = got[:0]
		for _, m := range s.Messages() {
			if match == nil || match(m) {
				got = append(got, m)
			}
		}
		return len(got) >= n
	})
	if err != nil {
		return got, fmt.Errorf("botpressemu: waiting for %d messages, have %d: %w", n, len(got), err)
	}
	return got, nil
}

// WaitForEvent waits for the first event of type typ matching match (nil matches all).
func (s *Server) WaitForEvent(ctx context.Context, typ string, match func(botpress.Event) bool) (botpress.Event, error) {
	var found botpress.Event
	err := s.Wait(ctx, func() bool {
		for _, ev := range s.EventsOfType(typ) {
			if match == nil || match(ev) {
				found = ev
				return true
			}
		}
		return false
	})
	if err != nil {
		return found, fmt.Errorf("botpressemu: waiting for event %q: %w", typ, err)
	}
	return found, nil
}

// WaitForState waits until a state exists and returns it.
func (s *Server) WaitForState(ctx context.Context, typ botpress.StateType, id, name string) (botpress.State, error) {
	var st botpress.State
	err := s.Wait(ctx, func() bool {
		var ok bool
		st, ok = s.State(typ, id, name)
		return ok
	})
	if err != nil {
		return st, fmt.Errorf("botpressemu: waiting for state %s/%s/%s: %w", typ, id, name, err)
	}
	return st, nil
}

// SetIntegrationURL changes where operations and relayed webhooks go; use
// it when the integration server can only start after the emulator (it
// needs the emulator's URL as BP_API_URL).
func (s *Server) SetIntegrationURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.integrationURL = u
}

// SetConfiguration changes the installation's configuration (a JSON object).
func (s *Server) SetConfiguration(cfg any) error {
	raw, err := marshalConfiguration(cfg)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.configuration = raw
	return nil
}
