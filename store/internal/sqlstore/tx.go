package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/planbridge/planbridge/store"
)

// wtx is the store.Tx a write function gets.
type wtx struct {
	s  *Store
	tx *sql.Tx
	// detach runs statements without the caller's cancellation (group
	// commit: see runBatch).
	detach bool
	// done is set when the write function returned; a kept Tx then fails
	// loudly instead of writing into someone else's transaction.
	done bool
}

var _ store.Tx = (*wtx)(nil)

var errTxDone = errors.New("the Tx was used after its write function returned: do not keep it")

func (t *wtx) ctx(ctx context.Context) (context.Context, error) {
	if t.done {
		return nil, t.s.errorf("%w", errTxDone)
	}
	if t.detach {
		return context.WithoutCancel(ctx), nil
	}
	return ctx, nil
}

func (t *wtx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, err := t.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return t.tx.ExecContext(ctx, t.s.d.q(query), args...)
}

func (t *wtx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, err := t.ctx(ctx)
	if err != nil {
		return nil, err
	}
	return t.tx.QueryContext(ctx, t.s.d.q(query), args...)
}

// scanner is a row to scan: a *sql.Row or the error that prevented one.
type scanner interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (t *wtx) queryRow(ctx context.Context, query string, args ...any) scanner {
	ctx, err := t.ctx(ctx)
	if err != nil {
		return errRow{err}
	}
	return t.tx.QueryRowContext(ctx, t.s.d.q(query), args...)
}

func (t *wtx) affected(ctx context.Context, query string, args ...any) (int, error) {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

const enqueueSQL = `INSERT INTO outbox_items
 (kind, dest, order_key, coalesce_key, payload, state, max_attempts, run_at, created_at, updated_at)
 VALUES (?, ?, ?, ?, ?, 'available', ?, ?, ?, ?)
 ON CONFLICT (dest, kind, coalesce_key) WHERE state = 'available' AND coalesce_key <> ''
 DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at, merges = outbox_items.merges + 1
 RETURNING id, merges`

// Enqueue adds an item, or merges it into an available one (NewItem.Coalesce).
func (t *wtx) Enqueue(ctx context.Context, it store.NewItem, now time.Time) (store.Enqueued, error) {
	if it.Kind == "" || it.Dest == "" {
		return store.Enqueued{}, t.s.errorf("enqueue: an item needs a Kind and a Dest (got kind %q, dest %q)", it.Kind, it.Dest)
	}
	if now.IsZero() {
		return store.Enqueued{}, t.s.errorf("enqueue %s: now is zero: pass the current time", it.Kind)
	}
	maxAttempts := it.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = store.DefaultMaxAttempts
	}
	runAt := it.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	payload := it.Payload
	if payload == nil {
		payload = []byte{}
	}
	if it.Key != "" && t.s.d.KeyLock != "" {
		// Length-prefixed, so no destination and key pair reads as another.
		if _, err := t.exec(ctx, t.s.d.KeyLock, strconv.Itoa(len(it.Dest))+":"+it.Dest+it.Key); err != nil {
			return store.Enqueued{}, t.s.errorf("enqueue %s: lock key: %w", it.Kind, err)
		}
	}
	var e store.Enqueued
	var merges int64
	err := t.queryRow(ctx, enqueueSQL, it.Kind, it.Dest, it.Key, it.Coalesce, payload,
		maxAttempts, micros(runAt), micros(now), micros(now)).Scan(&e.ID, &merges)
	if err != nil {
		return store.Enqueued{}, t.s.errorf("enqueue %s: %w", it.Kind, err)
	}
	e.Coalesced = merges > 0
	return e, nil
}

const upsertConversationSQL = `INSERT INTO relay_conversations
 (dest, id, company_id, end_user_email, end_user_name, bot_name, subject, created_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
 ON CONFLICT (dest, id) DO UPDATE SET
  company_id = CASE WHEN excluded.company_id <> '' THEN excluded.company_id ELSE relay_conversations.company_id END,
  end_user_email = CASE WHEN excluded.end_user_email <> '' THEN excluded.end_user_email ELSE relay_conversations.end_user_email END,
  end_user_name = CASE WHEN excluded.end_user_name <> '' THEN excluded.end_user_name ELSE relay_conversations.end_user_name END,
  bot_name = CASE WHEN excluded.bot_name <> '' THEN excluded.bot_name ELSE relay_conversations.bot_name END,
  subject = CASE WHEN excluded.subject <> '' THEN excluded.subject ELSE relay_conversations.subject END,
  updated_at = excluded.updated_at`

// UpsertConversation creates the conversation or updates its details;
// empty fields keep what is stored, CreatedAt is set once.
func (t *wtx) UpsertConversation(ctx context.Context, c store.ConversationUpdate) error {
	if c.Dest == "" || c.ID == "" {
		return t.s.errorf("upsert conversation: a conversation needs a Dest and an ID (got dest %q, id %q)", c.Dest, c.ID)
	}
	if c.Now.IsZero() {
		return t.s.errorf("upsert conversation %s: Now is zero: pass the current time", c.ID)
	}
	now := micros(c.Now)
	if _, err := t.exec(ctx, upsertConversationSQL, c.Dest, c.ID, c.CompanyID, c.EndUserEmail,
		c.EndUserName, c.BotName, c.Subject, now, now); err != nil {
		return t.s.errorf("upsert conversation %s: %w", c.ID, err)
	}
	return nil
}

// messageRows caps one multi-row insert well under SQLite's 32766 parameters.
const messageRows = 500

// AppendMessages adds messages to an existing conversation in order,
// skipping any whose MessageID it already has; it returns how many it added.
func (t *wtx) AppendMessages(ctx context.Context, dest, conversationID string, msgs []store.Message) (int, error) {
	fail := func(err error) (int, error) {
		return 0, t.s.errorf("append messages to conversation %s: %w", conversationID, err)
	}
	// The conversation row's counter hands out Seq; on PostgreSQL the row
	// lock makes concurrent appends to one conversation take turns.
	var count int64
	err := t.queryRow(ctx, "SELECT messages FROM relay_conversations WHERE dest = ? AND id = ?"+t.s.d.ForUpdate,
		dest, conversationID).Scan(&count)
	if isNoRows(err) {
		return 0, t.s.errorf("append messages: conversation %q of destination %q: %w (upsert it first)", conversationID, dest, store.ErrNotFound)
	}
	if err != nil {
		return fail(err)
	}
	// A message id repeated within msgs counts once, its first time.
	fresh := make([]store.Message, 0, len(msgs))
	seen := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		if m.MessageID != "" {
			if seen[m.MessageID] {
				continue
			}
			seen[m.MessageID] = true
		}
		fresh = append(fresh, m)
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	// Usually none of the messages is stored yet: insert them all, and only
	// when ON CONFLICT skipped some (their Seq would leave gaps) take them
	// back and insert again without the ones already there.
	n, err := t.insertMessages(ctx, dest, conversationID, count, fresh)
	if err != nil {
		return fail(err)
	}
	if n != len(fresh) {
		if _, err := t.exec(ctx, "DELETE FROM relay_messages WHERE dest = ? AND conversation_id = ? AND seq > ?", dest, conversationID, count); err != nil {
			return fail(err)
		}
		stored, err := t.storedMessageIDs(ctx, dest, conversationID, seen)
		if err != nil {
			return fail(err)
		}
		fresh = slices.DeleteFunc(fresh, func(m store.Message) bool { return stored[m.MessageID] })
		if n, err = t.insertMessages(ctx, dest, conversationID, count, fresh); err != nil {
			return fail(err)
		}
		if n != len(fresh) {
			// Only an append that bypassed the row lock could do this.
			return fail(fmt.Errorf("inserted %d of %d messages: a concurrent append raced this one; write again", n, len(fresh)))
		}
	}
	if n == 0 {
		return 0, nil
	}
	if _, err := t.exec(ctx, "UPDATE relay_conversations SET messages = ? WHERE dest = ? AND id = ?",
		count+int64(n), dest, conversationID); err != nil {
		return fail(err)
	}
	return n, nil
}

// insertMessages inserts msgs with Seq from after+1 on and returns how
// many rows it inserted; ON CONFLICT skips ids already stored.
func (t *wtx) insertMessages(ctx context.Context, dest, conversationID string, after int64, msgs []store.Message) (int, error) {
	inserted := 0
	for start := 0; start < len(msgs); start += messageRows {
		chunk := msgs[start:min(start+messageRows, len(msgs))]
		var b strings.Builder
		b.WriteString("INSERT INTO relay_messages (dest, conversation_id, seq, message_id, author, name, body, sent_at, received_at) VALUES ")
		args := make([]any, 0, 9*len(chunk))
		for i, m := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, dest, conversationID, after+int64(start+i+1), m.MessageID, m.Author, m.Name,
				m.Text, micros(m.Time), micros(m.ReceivedAt))
		}
		b.WriteString(" ON CONFLICT (dest, conversation_id, message_id) WHERE message_id <> '' DO NOTHING")
		n, err := t.affected(ctx, b.String(), args...)
		if err != nil {
			return 0, err
		}
		inserted += n
	}
	return inserted, nil
}

// storedMessageIDs returns which of ids the conversation already has.
func (t *wtx) storedMessageIDs(ctx context.Context, dest, conversationID string, ids map[string]bool) (map[string]bool, error) {
	all := make([]any, 0, len(ids))
	for id := range ids {
		all = append(all, id)
	}
	stored := make(map[string]bool)
	for start := 0; start < len(all); start += messageRows {
		chunk := all[start:min(start+messageRows, len(all))]
		rows, err := t.query(ctx, "SELECT message_id FROM relay_messages WHERE dest = ? AND conversation_id = ? AND message_id <> '' AND message_id IN ("+marks(len(chunk))+")",
			append([]any{dest, conversationID}, chunk...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			stored[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return stored, nil
}

const putDestinationSQL = `INSERT INTO destinations (id, api_url, analytics_url, token, tenant, updated_at)
 VALUES (?, ?, ?, ?, ?, ?)
 ON CONFLICT (id) DO UPDATE SET api_url = excluded.api_url, analytics_url = excluded.analytics_url,
  token = excluded.token, tenant = excluded.tenant, updated_at = excluded.updated_at`

// PutDestination stores or replaces a destination.
func (t *wtx) PutDestination(ctx context.Context, d store.Destination) error {
	if d.ID == "" {
		return t.s.errorf("put destination: the destination has no ID")
	}
	// The error names the id only: the token and tenant must never reach a log.
	if _, err := t.exec(ctx, putDestinationSQL, d.ID, d.APIURL, d.AnalyticsURL, d.Token, d.Tenant, micros(d.UpdatedAt)); err != nil {
		return t.s.errorf("put destination %s: %w", d.ID, err)
	}
	return nil
}
