package handoff

import (
	"context"
	"errors"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/store"
)

// poll checks open sessions' tasks while this replica holds PollLease:
// Planfix sends nothing when an agent completes a task, so getTask's
// statusIsActive is the only reliable sign (a status name guessed from a
// list would break with the account's own statuses).
func (e *Engine) poll(ctx context.Context) {
	tick := min(e.opts.PollInterval, 5*time.Second)
	lim := rate.NewLimiter(rate.Limit(e.opts.PollRate), 1)
	owner := e.ob.Owner()
	t := time.NewTicker(tick)
	defer t.Stop()
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = e.st.ReleaseLease(rctx, PollLease, owner)
	}()
	for {
		now := e.now()
		held, err := e.st.AcquireLease(ctx, PollLease, owner, now, now.Add(max(3*tick, 15*time.Second)))
		if err != nil && ctx.Err() == nil {
			e.log.Warn("handoff: renewing the polling lease failed", "err", err)
		}
		if held {
			e.pollRound(ctx, lim)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pollRound checks every session not checked for a poll interval, at the
// limiter's pace.
func (e *Engine) pollRound(ctx context.Context, lim *rate.Limiter) {
	for ctx.Err() == nil {
		due, err := e.st.OpenHandoffSessions(ctx, e.now().Add(-e.opts.PollInterval), 100)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("handoff: listing open sessions failed", "err", err)
			}
			return
		}
		for _, s := range due {
			if err := lim.Wait(ctx); err != nil {
				return
			}
			e.checkTask(ctx, s)
		}
		if len(due) < 100 {
			return
		}
	}
}

// CheckSession asks Planfix whether the session's task is still active and
// ends the session (hitlStopped) when it is not; tests and operators use it.
func (e *Engine) CheckSession(ctx context.Context, chatID string) error {
	s, err := e.st.HandoffSession(ctx, chatID)
	if err != nil {
		return err
	}
	e.checkTask(ctx, s)
	return nil
}

func (e *Engine) checkTask(ctx context.Context, s store.HandoffSession) {
	now := e.now()
	defer func() {
		if err := e.st.SetHandoffChecked(context.WithoutCancel(ctx), s.ChatID, now); err != nil {
			e.log.Warn("handoff: recording a task check failed", "chat", s.ChatID, "err", err)
		}
	}()
	in, err := e.installation(ctx, s.Installation)
	if err != nil {
		return
	}
	client, err := e.planfixClient(in)
	if err != nil {
		return
	}
	task, err := client.GetTask(ctx, s.ChatID)
	if errors.Is(err, planfix.ErrTaskNotFound) {
		return // the opening message is not delivered yet
	}
	if err != nil {
		e.log.Debug("handoff: checking a task failed", "chat", s.ChatID, "err", err)
		return
	}
	// The console shows the task number; a write only when it changed.
	if n := strconv.FormatInt(task.Number, 10); task.Number > 0 && n != s.TaskNumber {
		if err := e.st.SetHandoffTask(ctx, s.ChatID, n); err != nil {
			e.log.Warn("handoff: recording the task number failed", "chat", s.ChatID, "err", err)
		}
	}
	if task.StatusIsActive == nil || *task.StatusIsActive {
		return
	}
	if err := e.endByAgent(ctx, s.ChatID); err != nil {
		e.log.Warn("handoff: ending a session whose task was completed failed", "chat", s.ChatID, "err", err)
	}
}

// endByAgent stops a session whose task was completed in Planfix and
// queues hitlStopped, so the bot takes over without waiting for the user.
func (e *Engine) endByAgent(ctx context.Context, chatID string) error {
	now := e.now()
	var inst string
	err := e.st.Write(ctx, func(tx store.Tx) error {
		inst = ""
		cur, err := tx.LockHandoffSession(ctx, chatID)
		if err != nil || cur.State != store.HandoffOpen {
			return err
		}
		cur.State, cur.StopReason, cur.UpdatedAt = store.HandoffStopped, "agent", now
		if err := tx.UpdateHandoffSession(ctx, cur); err != nil {
			return err
		}
		inst = cur.Installation
		return enqueue(ctx, tx, now, cur.Installation, KindBot, botKey(chatID), botItem{Op: opStopped, ChatID: chatID, Reason: "agent"})
	})
	if err == nil && inst != "" {
		e.kick(inst, KindBot)
	}
	return err
}
