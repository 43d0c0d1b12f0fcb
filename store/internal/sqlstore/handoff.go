package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/planbridge/planbridge/store"
)

const putInstallationSQL = `INSERT INTO handoff_installations
 (id, endpoint, planfix_token, provider_id, user_email, bot_name, bot_avatar_url, bot_id, integration_id, integration_alias, webhook_url, webhook_secret, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
 ON CONFLICT (id) DO UPDATE SET endpoint = excluded.endpoint, planfix_token = excluded.planfix_token,
  provider_id = excluded.provider_id, user_email = excluded.user_email, bot_name = excluded.bot_name,
  bot_avatar_url = excluded.bot_avatar_url, bot_id = excluded.bot_id, integration_id = excluded.integration_id,
  integration_alias = excluded.integration_alias, webhook_url = excluded.webhook_url,
  webhook_secret = excluded.webhook_secret, updated_at = excluded.updated_at`

// PutHandoffInstallation stores or replaces an installation.
func (t *wtx) PutHandoffInstallation(ctx context.Context, in store.HandoffInstallation) error {
	if in.ID == "" {
		return t.s.errorf("put hand-off installation: the installation has no ID")
	}
	// The error names the id only: tokens and secrets must never reach a log.
	if _, err := t.exec(ctx, putInstallationSQL, in.ID, in.Endpoint, in.PlanfixToken, in.ProviderID, in.UserEmail,
		in.BotName, in.BotAvatarURL, in.BotID, in.IntegrationID, in.IntegrationAlias, in.WebhookURL, in.WebhookSecret,
		micros(in.UpdatedAt)); err != nil {
		return t.s.errorf("put hand-off installation %s: %w", in.ID, err)
	}
	return nil
}

const sessionColumns = `chat_id, installation, conversation_id, user_id, contact_id, contact_name, contact_email,
 title, state, assigned, stop_reason, created_at, updated_at, checked_at, task_number, last_status, last_status_text, last_status_at, agent_name`

// sessionColumnCount is how many columns sessionColumns names.
const sessionColumnCount = 19

func sessionArgs(s store.HandoffSession) []any {
	return []any{s.ChatID, s.Installation, s.ConversationID, s.UserID, s.ContactID, s.ContactName, s.ContactEmail,
		s.Title, s.State, s.Assigned, s.StopReason, micros(s.CreatedAt), micros(s.UpdatedAt), micros(s.CheckedAt),
		s.TaskNumber, s.LastStatus, s.LastStatusText, micros(s.LastStatusAt), s.AgentName}
}

// sessionDest are the scan targets of sessionColumns; finish converts the times.
func sessionDest(s *store.HandoffSession, times *[4]int64) []any {
	return []any{&s.ChatID, &s.Installation, &s.ConversationID, &s.UserID, &s.ContactID, &s.ContactName, &s.ContactEmail,
		&s.Title, &s.State, &s.Assigned, &s.StopReason, &times[0], &times[1], &times[2],
		&s.TaskNumber, &s.LastStatus, &s.LastStatusText, &times[3], &s.AgentName}
}

func finishSession(s *store.HandoffSession, times [4]int64) {
	s.CreatedAt, s.UpdatedAt, s.CheckedAt, s.LastStatusAt = fromMicros(times[0]), fromMicros(times[1]), fromMicros(times[2]), fromMicros(times[3])
}

func scanSession(sc scanner) (store.HandoffSession, error) {
	var s store.HandoffSession
	var times [4]int64
	err := sc.Scan(sessionDest(&s, &times)...)
	finishSession(&s, times)
	return s, err
}

func validSession(s store.HandoffSession) bool {
	return s.ChatID != "" && s.Installation != "" && s.ContactID != "" &&
		(s.State == store.HandoffOpen || s.State == store.HandoffStopped)
}

// CreateHandoffSession stores a new session, or fails with store.ErrExists.
func (t *wtx) CreateHandoffSession(ctx context.Context, s store.HandoffSession) error {
	if !validSession(s) {
		return t.s.errorf("create hand-off session %q: a session needs a chat id, an installation, a contact id and the state open or stopped", s.ChatID)
	}
	n, err := t.affected(ctx, `INSERT INTO handoff_sessions (`+sessionColumns+`) VALUES (`+marks(sessionColumnCount)+`) ON CONFLICT (chat_id) DO NOTHING`, sessionArgs(s)...)
	if err != nil {
		return t.s.errorf("create hand-off session %s: %w", s.ChatID, err)
	}
	if n == 0 {
		return t.s.errorf("create hand-off session %s: %w", s.ChatID, store.ErrExists)
	}
	return nil
}

// LockHandoffSession reads a session for changing it in this transaction.
func (t *wtx) LockHandoffSession(ctx context.Context, chatID string) (store.HandoffSession, error) {
	s, err := scanSession(t.queryRow(ctx, `SELECT `+sessionColumns+` FROM handoff_sessions WHERE chat_id = ?`+t.s.d.ForUpdate, chatID))
	if isNoRows(err) {
		return store.HandoffSession{}, t.s.errorf("hand-off session %q: %w", chatID, store.ErrNotFound)
	}
	if err != nil {
		return store.HandoffSession{}, t.s.errorf("hand-off session %s: %w", chatID, err)
	}
	return s, nil
}

// UpdateHandoffSession replaces the stored session of s.ChatID.
func (t *wtx) UpdateHandoffSession(ctx context.Context, s store.HandoffSession) error {
	if !validSession(s) {
		return t.s.errorf("update hand-off session %q: a session needs a chat id, an installation, a contact id and the state open or stopped", s.ChatID)
	}
	args := append(sessionArgs(s)[1:], s.ChatID)
	n, err := t.affected(ctx, `UPDATE handoff_sessions SET installation = ?, conversation_id = ?, user_id = ?, contact_id = ?,
 contact_name = ?, contact_email = ?, title = ?, state = ?, assigned = ?, stop_reason = ?, created_at = ?, updated_at = ?,
 checked_at = ?, task_number = ?, last_status = ?, last_status_text = ?, last_status_at = ?, agent_name = ? WHERE chat_id = ?`, args...)
	if err != nil {
		return t.s.errorf("update hand-off session %s: %w", s.ChatID, err)
	}
	if n == 0 {
		return t.s.errorf("update hand-off session %q: %w", s.ChatID, store.ErrNotFound)
	}
	return nil
}

// SetHandoffStatus records the last messageStatus reported in a chat.
func (t *wtx) SetHandoffStatus(ctx context.Context, chatID, status, text string, at time.Time) error {
	if _, err := t.exec(ctx, `UPDATE handoff_sessions SET last_status = ?, last_status_text = ?, last_status_at = ? WHERE chat_id = ?`,
		status, text, micros(at), chatID); err != nil {
		return t.s.errorf("record the message status of hand-off session %s: %w", chatID, err)
	}
	return nil
}

// RecordHandoffMessage remembers a message unless it was recorded before.
func (t *wtx) RecordHandoffMessage(ctx context.Context, m store.HandoffMessage) (bool, error) {
	if m.Installation == "" || m.Key == "" || (m.Origin != store.FromPlanfix && m.Origin != store.FromBot) {
		return false, t.s.errorf("record hand-off message: it needs an installation, a key and the origin planfix or bot (got origin %q)", m.Origin)
	}
	n, err := t.affected(ctx, `INSERT INTO handoff_messages (installation, origin, msg_key, chat_id, created_at)
 VALUES (?, ?, ?, ?, ?) ON CONFLICT (installation, origin, msg_key) DO NOTHING`,
		m.Installation, m.Origin, m.Key, m.ChatID, micros(m.At))
	if err != nil {
		return false, t.s.errorf("record hand-off message: %w", err)
	}
	return n == 1, nil
}

// HandoffInstallation returns an installation, or store.ErrNotFound.
func (s *Store) HandoffInstallation(ctx context.Context, id string) (store.HandoffInstallation, error) {
	var in store.HandoffInstallation
	var updated int64
	err := s.queryRow(ctx, `SELECT id, endpoint, planfix_token, provider_id, user_email, bot_name, bot_avatar_url,
 bot_id, integration_id, integration_alias, webhook_url, webhook_secret, updated_at FROM handoff_installations WHERE id = ?`, id).Scan(
		&in.ID, &in.Endpoint, &in.PlanfixToken, &in.ProviderID, &in.UserEmail, &in.BotName, &in.BotAvatarURL,
		&in.BotID, &in.IntegrationID, &in.IntegrationAlias, &in.WebhookURL, &in.WebhookSecret, &updated)
	if isNoRows(err) {
		return store.HandoffInstallation{}, s.errorf("hand-off installation %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.HandoffInstallation{}, s.errorf("hand-off installation %s: %w", id, err)
	}
	in.UpdatedAt = fromMicros(updated)
	return in, nil
}

// HandoffSession returns a session by chat id, or store.ErrNotFound.
func (s *Store) HandoffSession(ctx context.Context, chatID string) (store.HandoffSession, error) {
	hs, err := scanSession(s.queryRow(ctx, `SELECT `+sessionColumns+` FROM handoff_sessions WHERE chat_id = ?`, chatID))
	if isNoRows(err) {
		return store.HandoffSession{}, s.errorf("hand-off session %q: %w", chatID, store.ErrNotFound)
	}
	if err != nil {
		return store.HandoffSession{}, s.errorf("hand-off session %s: %w", chatID, err)
	}
	return hs, nil
}

// HandoffSessionByConversation returns the newest session of a conversation.
func (s *Store) HandoffSessionByConversation(ctx context.Context, installation, conversationID string) (store.HandoffSession, error) {
	hs, err := scanSession(s.queryRow(ctx, `SELECT `+sessionColumns+` FROM handoff_sessions
 WHERE installation = ? AND conversation_id = ? ORDER BY created_at DESC, chat_id DESC LIMIT 1`, installation, conversationID))
	if isNoRows(err) {
		return store.HandoffSession{}, s.errorf("hand-off session of conversation %q: %w", conversationID, store.ErrNotFound)
	}
	if err != nil {
		return store.HandoffSession{}, s.errorf("hand-off session of conversation %s: %w", conversationID, err)
	}
	return hs, nil
}

// OpenHandoffSessions returns open sessions least recently checked first.
func (s *Store) OpenHandoffSessions(ctx context.Context, checkedBefore time.Time, limit int) ([]store.HandoffSession, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.query(ctx, `SELECT `+sessionColumns+` FROM handoff_sessions
 WHERE state = 'open' AND checked_at < ? ORDER BY checked_at, chat_id LIMIT ?`, micros(checkedBefore), limit)
	if err != nil {
		return nil, s.errorf("open hand-off sessions: %w", err)
	}
	defer rows.Close()
	out := []store.HandoffSession{}
	for rows.Next() {
		hs, err := scanSession(rows)
		if err != nil {
			return nil, s.errorf("open hand-off sessions: %w", err)
		}
		out = append(out, hs)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("open hand-off sessions: %w", err)
	}
	return out, nil
}

// SetHandoffChecked records when an open session's task was polled.
func (s *Store) SetHandoffChecked(ctx context.Context, chatID string, at time.Time) error {
	return s.write(ctx, true, func(t *wtx) error {
		if _, err := t.exec(ctx, `UPDATE handoff_sessions SET checked_at = ? WHERE chat_id = ? AND state = 'open'`, micros(at), chatID); err != nil {
			return t.s.errorf("mark hand-off session %s checked: %w", chatID, err)
		}
		return nil
	})
}

// SetHandoffTask records a session's Planfix task number.
func (s *Store) SetHandoffTask(ctx context.Context, chatID, number string) error {
	return s.write(ctx, true, func(t *wtx) error {
		if _, err := t.exec(ctx, `UPDATE handoff_sessions SET task_number = ? WHERE chat_id = ? AND task_number <> ?`, number, chatID, number); err != nil {
			return t.s.errorf("record the task of hand-off session %s: %w", chatID, err)
		}
		return nil
	})
}

// HandoffSessions lists sessions matching f, most recently updated first,
// each with the newest message time per origin (the messages' index on
// chat_id, origin, created_at makes each a single probe).
func (s *Store) HandoffSessions(ctx context.Context, f store.HandoffSessionFilter) ([]store.HandoffSessionSummary, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := `SELECT ` + prefixed("h.", sessionColumns) + `,
 COALESCE((SELECT MAX(m.created_at) FROM handoff_messages m WHERE m.chat_id = h.chat_id AND m.origin = 'bot'), 0),
 COALESCE((SELECT MAX(m.created_at) FROM handoff_messages m WHERE m.chat_id = h.chat_id AND m.origin = 'planfix'), 0)
 FROM handoff_sessions h WHERE 1 = 1`
	var args []any
	for _, c := range []struct{ col, val string }{{"h.state", f.State}, {"h.installation", f.Installation}, {"h.conversation_id", f.ConversationID}, {"h.chat_id", f.ChatID}} {
		if c.val != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.val)
		}
	}
	switch {
	case !f.BeforeUpdated.IsZero() && f.BeforeChatID != "":
		// The list's own order, so sessions updated in one microsecond are
		// split across pages without one being skipped.
		q += ` AND (h.updated_at < ? OR (h.updated_at = ? AND h.chat_id < ?))`
		args = append(args, micros(f.BeforeUpdated), micros(f.BeforeUpdated), f.BeforeChatID)
	case !f.BeforeUpdated.IsZero():
		q += ` AND h.updated_at < ?`
		args = append(args, micros(f.BeforeUpdated))
	}
	q += ` ORDER BY h.updated_at DESC, h.chat_id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, s.errorf("list hand-off sessions: %w", err)
	}
	defer rows.Close()
	out := []store.HandoffSessionSummary{}
	for rows.Next() {
		var sum store.HandoffSessionSummary
		var times [4]int64
		var fromBot, fromPlanfix int64
		if err := rows.Scan(append(sessionDest(&sum.HandoffSession, &times), &fromBot, &fromPlanfix)...); err != nil {
			return nil, s.errorf("list hand-off sessions: %w", err)
		}
		finishSession(&sum.HandoffSession, times)
		sum.LastFromBot, sum.LastFromPlanfix = fromMicros(fromBot), fromMicros(fromPlanfix)
		out = append(out, sum)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("list hand-off sessions: %w", err)
	}
	return out, nil
}

// prefixed qualifies every column of a comma-separated list with p.
func prefixed(p, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
