package handoff

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/store"
)

// OperatorStoppedNote is what the agent reads in the task when an operator
// ends a session from the console, unless the operator wrote a note.
const OperatorStoppedNote = "An operator ended this conversation from the planbridge console; the bot has taken the chat back."

// StopByOperator ends an open session on an operator's request (the
// console): the agent reads a note in the task and the bot side is told
// the session stopped (hitlStopped, or the webhook's stopped event with
// reason "operator"), in one transaction, so neither side is left waiting.
// Stopping an ended session does nothing and returns it as it is.
func (e *Engine) StopByOperator(ctx context.Context, chatID, note string) (store.HandoffSession, error) {
	now := e.now()
	var sess store.HandoffSession
	changed := false
	err := e.st.Write(ctx, func(tx store.Tx) error {
		changed = false
		cur, err := tx.LockHandoffSession(ctx, chatID)
		if err != nil {
			return err
		}
		sess = cur
		if cur.State != store.HandoffOpen {
			return nil
		}
		cur.State, cur.StopReason, cur.UpdatedAt = store.HandoffStopped, "operator", now
		if err := tx.UpdateHandoffSession(ctx, cur); err != nil {
			return err
		}
		msg := planfix.Message{ChatID: cur.ChatID, Text: cmp.Or(note, OperatorStoppedNote), IsEcho: true,
			Contact: planfix.Contact{ID: cur.ContactID, Name: cur.ContactName, Email: cur.ContactEmail}}
		if err := enqueue(ctx, tx, now, cur.Installation, KindPlanfix, planfixKey(cur.ChatID), planfixItem{Op: opMessage, Message: &msg}); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, now, cur.Installation, KindBot, botKey(chatID), botItem{Op: opStopped, ChatID: chatID, Reason: "operator"}); err != nil {
			return err
		}
		sess, changed = cur, true
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return sess, fmt.Errorf("%w: no chat %s", ErrNoSession, chatID)
	}
	if err != nil {
		return sess, fmt.Errorf("handoff: stopping the session: %w", err)
	}
	if changed {
		e.kick(sess.Installation, KindPlanfix)
		e.kick(sess.Installation, KindBot)
	}
	return sess, nil
}
