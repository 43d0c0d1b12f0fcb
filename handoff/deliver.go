package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/store"
)

// Botpress names the integration's definition declares.
const (
	// TagChatID is the hitl conversation tag holding the Planfix chatId.
	TagChatID = "chatId"
	// TagPlanfixMessageID is the message tag holding the Planfix messageId
	// (plus "/N" for the Nth attachment of a reply).
	TagPlanfixMessageID = "planfixMessageId"
	// TagPlanfixChatID is the message tag an end user's message is acked
	// with: the Planfix chat it was queued for.
	TagPlanfixChatID = "planfixChatId"
	// TagAgentID is the user tag of Botpress users that are Planfix agents.
	TagAgentID = "agentId"
	// TagContactID is the user tag holding the end user's Planfix contactId.
	TagContactID = "contactId"
	// TagEmail is the user tag holding the end user's email.
	TagEmail = "email"
	// EventAssigned and EventStopped are the HITL interface's events.
	EventAssigned = "hitlAssigned"
	EventStopped  = "hitlStopped"
)

// parallel runs fn for every item, at most n at a time, and collects the
// results in order. Items of one batch have distinct keys (a key yields
// one item per claim), so running them at once keeps every chat's order.
func parallel(ctx context.Context, n int, items []store.Item, fn func(context.Context, store.Item) outbox.Result) []outbox.Result {
	out := make([]outbox.Result, len(items))
	if len(items) == 1 {
		out[0] = fn(ctx, items[0])
		return out
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = fn(ctx, it)
		})
	}
	wg.Wait()
	return out
}

func (e *Engine) installation(ctx context.Context, id string) (store.HandoffInstallation, error) {
	return e.st.HandoffInstallation(ctx, id)
}

// deliverPlanfix sends KindPlanfix items.
func (e *Engine) deliverPlanfix(ctx context.Context, dest string, items []store.Item) []outbox.Result {
	in, err := e.installation(ctx, dest)
	if err != nil {
		return outbox.All(len(items), outbox.Result{Verdict: outbox.Retry, Err: err})
	}
	client, err := e.planfixClient(in)
	if err != nil {
		// A configuration the bot builder must fix; kept for a retry once
		// the installation's settings change.
		return outbox.All(len(items), outbox.Result{Verdict: outbox.Retry, Err: err})
	}
	return parallel(ctx, e.opts.Parallel, items, func(ctx context.Context, it store.Item) outbox.Result {
		var p planfixItem
		if err := json.Unmarshal(it.Payload, &p); err != nil {
			return outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("undecodable hand-off item: %w", err)}
		}
		switch p.Op {
		case opMessage:
			if p.Message == nil {
				return outbox.Result{Verdict: outbox.Fail, Err: errors.New("a message item without a message")}
			}
			return planfixResult(client.SendMessage(ctx, p.Message), false)
		case opStatus:
			return planfixResult(client.SetMessageStatus(ctx, p.MessageID, planfix.MessageStatus(p.Status), p.StatusText), false)
		case opContact:
			if p.Contact == nil {
				return outbox.Result{Verdict: outbox.Fail, Err: errors.New("a contact item without a contact")}
			}
			return planfixResult(client.UpdateContact(ctx, *p.Contact), true)
		}
		return outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("unknown hand-off operation %q", p.Op)}
	})
}

// planfixResult classifies a Planfix answer. A wrong token or a moved
// endpoint is retried, not dropped: the bot builder fixes the
// configuration and the chat goes on where it stopped.
func planfixResult(err error, contactUpdate bool) outbox.Result {
	var apiErr *planfix.APIError
	switch {
	case err == nil:
		return outbox.Result{Verdict: outbox.Delivered}
	case contactUpdate && errors.Is(err, planfix.ErrUnknownContact):
		// Planfix creates the contact with its first message, which
		// carries the current card anyway.
		return outbox.Result{Verdict: outbox.Delivered}
	case errors.As(err, &apiErr) && apiErr.RetryAfter > 0:
		return outbox.Result{Verdict: outbox.Snooze, Err: err, After: apiErr.RetryAfter}
	case planfix.IsRetryable(err), errors.Is(err, planfix.ErrInvalidToken), errors.Is(err, planfix.ErrInvalidConfig):
		return outbox.Result{Verdict: outbox.Retry, Err: err}
	}
	return outbox.Result{Verdict: outbox.Fail, Err: err}
}

// deliverBot sends KindBot items to Botpress.
func (e *Engine) deliverBot(ctx context.Context, dest string, items []store.Item) []outbox.Result {
	in, err := e.installation(ctx, dest)
	if err != nil {
		return outbox.All(len(items), outbox.Result{Verdict: outbox.Retry, Err: err})
	}
	if in.BotID == "" {
		return e.deliverWebhook(ctx, in, items)
	}
	client, err := e.botpressClient(in)
	if err != nil {
		return outbox.All(len(items), outbox.Result{Verdict: outbox.Retry, Err: err})
	}
	return parallel(ctx, e.opts.Parallel, items, func(ctx context.Context, it store.Item) outbox.Result {
		var p botItem
		if err := json.Unmarshal(it.Payload, &p); err != nil {
			return outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("undecodable hand-off item: %w", err)}
		}
		sess, err := e.st.HandoffSession(ctx, p.ChatID)
		if err != nil {
			return outbox.Result{Verdict: outbox.Retry, Err: err}
		}
		switch p.Op {
		case opAgentMessage:
			return e.deliverAgentMessage(ctx, in, client, sess, p, it)
		case opStopped:
			_, err := client.CreateEvent(ctx, botpress.CreateEventInput{Type: EventStopped,
				Payload: map[string]string{"conversationId": sess.ConversationID}, ConversationID: sess.ConversationID})
			return botpressResult(err)
		}
		return outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("unknown hand-off operation %q", p.Op)}
	})
}

// deliverAgentMessage creates an agent's reply in the hitl conversation,
// one Botpress message per part, each found again rather than doubled when
// the item is delivered a second time (a crash before the outcome was
// recorded); then hitlAssigned after the first reply, then the status.
func (e *Engine) deliverAgentMessage(ctx context.Context, in store.HandoffInstallation, client *botpress.Client, sess store.HandoffSession, p botItem, it store.Item) outbox.Result {
	msg := p.Message
	if msg == nil {
		return outbox.Result{Verdict: outbox.Fail, Err: errors.New("an agent message item without a message")}
	}
	agent, err := e.agentUser(ctx, in, client, msg)
	if err != nil {
		return e.refusedResult(ctx, in, sess, msg, err)
	}
	key := msg.MessageID
	if key == "" {
		key = "item-" + strconv.FormatInt(it.ID, 10)
	}
	var firstID string
	for i, part := range agentParts(msg) {
		tag := key
		if i > 0 {
			tag = key + "/" + strconv.Itoa(i)
		}
		m, err := client.GetOrCreateMessage(ctx, botpress.GetOrCreateMessageInput{
			CreateMessageInput: botpress.CreateMessageInput{Type: part.Type, Payload: part.Payload, UserID: agent,
				ConversationID: sess.ConversationID, Tags: map[string]string{TagPlanfixMessageID: tag}},
			DiscriminateByTags: []string{TagPlanfixMessageID},
		})
		if err != nil {
			return e.refusedResult(ctx, in, sess, msg, err)
		}
		if firstID == "" {
			firstID = m.ID
		}
	}
	if p.First {
		_, err := client.CreateEvent(ctx, botpress.CreateEventInput{Type: EventAssigned,
			Payload:        map[string]string{"conversationId": sess.ConversationID, "userId": agent},
			ConversationID: sess.ConversationID, UserID: agent, MessageID: firstID})
		if err != nil {
			return botpressResult(err)
		}
	}
	e.reportStatus(ctx, in.ID, sess.ChatID, msg.MessageID, planfix.StatusSent, "")
	return outbox.Result{Verdict: outbox.Delivered}
}

// refusedResult classifies a failed Runtime call of an agent's reply and,
// when it will never succeed (a 4xx other than auth or rate limits), tells
// the agent in Planfix with messageStatus error and the reason: whichever
// call Botpress refused (the agent's user or the message), the user will
// not see the reply, and only Planfix can say so to the agent.
func (e *Engine) refusedResult(ctx context.Context, in store.HandoffInstallation, sess store.HandoffSession, msg *planfix.InboundMessage, err error) outbox.Result {
	r := botpressResult(err)
	if r.Verdict == outbox.Fail {
		e.reportStatus(ctx, in.ID, sess.ChatID, msg.MessageID, planfix.StatusError, "Botpress refused the message: "+err.Error())
	}
	return r
}

// statusReport is a messageStatus waiting to be queued.
type statusReport struct {
	installation, chatID string
	item                 planfixItem
}

// reportStatus queues a messageStatus for Planfix without holding up the
// delivery that caused it: reports are written by one goroutine, many to a
// transaction. A failure to queue one is logged, since the message itself
// was handled; so is a report lost in a crash, which leaves Planfix
// without a tick, nothing worse.
func (e *Engine) reportStatus(_ context.Context, installation, chatID, messageID string, status planfix.MessageStatus, text string) {
	if messageID == "" {
		return
	}
	if len(text) > 500 {
		text = text[:500]
	}
	e.mu.Lock()
	e.statuses = append(e.statuses, statusReport{installation, chatID, planfixItem{Op: opStatus, MessageID: messageID, Status: string(status), StatusText: text}})
	if e.writingStatuses {
		e.mu.Unlock()
		return
	}
	e.writingStatuses = true
	e.mu.Unlock()
	go e.writeStatuses()
}

func (e *Engine) writeStatuses() {
	for {
		e.mu.Lock()
		batch := e.statuses
		e.statuses = nil
		if len(batch) == 0 {
			e.writingStatuses = false
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
		now := e.now()
		ctx := context.Background()
		err := e.st.Write(ctx, func(tx store.Tx) error {
			for _, r := range batch {
				if err := enqueue(ctx, tx, now, r.installation, KindPlanfix, statusKey(r.chatID), r.item); err != nil {
					return err
				}
				// The console shows the last status per chat; a session
				// that is gone changes nothing.
				if err := tx.SetHandoffStatus(ctx, r.chatID, r.item.Status, r.item.StatusText, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			e.log.Warn("handoff: could not queue message statuses for Planfix", "statuses", len(batch), "err", err)
			continue
		}
		kicked := map[string]bool{}
		for _, r := range batch {
			if !kicked[r.installation] {
				kicked[r.installation] = true
				e.kick(r.installation, KindPlanfix)
			}
		}
	}
}

// agentUser finds or creates the Botpress user of a Planfix agent.
func (e *Engine) agentUser(ctx context.Context, in store.HandoffInstallation, client *botpress.Client, msg *planfix.InboundMessage) (string, error) {
	key := agentKey(msg)
	e.mu.Lock()
	id, ok := e.agents[in.ID+"\x00"+key]
	e.mu.Unlock()
	if ok {
		return id, nil
	}
	u, err := client.GetOrCreateUser(ctx, botpress.GetOrCreateUserInput{Tags: map[string]string{TagAgentID: key},
		Name: agentName(msg), PictureURL: msg.UserIco, DiscriminateByTags: []string{TagAgentID}})
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	if len(e.agents) > 10_000 {
		clear(e.agents)
	}
	e.agents[in.ID+"\x00"+key] = u.ID
	e.mu.Unlock()
	return u.ID, nil
}

// botpressResult classifies a Runtime API answer.
func botpressResult(err error) outbox.Result {
	var apiErr *botpress.APIError
	switch {
	case err == nil:
		return outbox.Result{Verdict: outbox.Delivered}
	case errors.Is(err, botpress.ErrRateLimited):
		after := time.Duration(0)
		if errors.As(err, &apiErr) {
			after = apiErr.RetryAfter
		}
		return outbox.Result{Verdict: outbox.Snooze, Err: err, After: max(after, time.Second)}
	case errors.Is(err, botpress.ErrServer), errors.Is(err, botpress.ErrUnauthorized), errors.Is(err, botpress.ErrForbidden), errors.Is(err, botpress.ErrRedirect):
		return outbox.Result{Verdict: outbox.Retry, Err: err}
	case errors.As(err, &apiErr):
		// Any other 4xx: the same call fails the same way.
		return outbox.Result{Verdict: outbox.Fail, Err: err}
	}
	// Below HTTP: Botpress could not be reached.
	return outbox.Result{Verdict: outbox.Retry, Err: err}
}
