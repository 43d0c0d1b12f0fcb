package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/planbridge/planbridge/store"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// filterSQL turns f, but for Limit, into " AND ..." conditions and their
// arguments. Before and After are exclusive bounds of CreatedAt.
func filterSQL(f store.Filter) (string, []any, error) {
	var b strings.Builder
	var args []any
	if len(f.IDs) > 0 {
		b.WriteString(" AND id IN (" + marks(len(f.IDs)) + ")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if len(f.States) > 0 {
		b.WriteString(" AND state IN (" + marks(len(f.States)) + ")")
		for _, st := range f.States {
			if !st.Valid() {
				return "", nil, fmt.Errorf("filter state %q: use one of %v", st, store.States())
			}
			args = append(args, string(st))
		}
	}
	if f.Kind != "" {
		b.WriteString(" AND kind = ?")
		args = append(args, f.Kind)
	}
	if f.Dest != "" {
		b.WriteString(" AND dest = ?")
		args = append(args, f.Dest)
	}
	if f.Key != "" {
		b.WriteString(" AND order_key = ?")
		args = append(args, f.Key)
	}
	if !f.Before.IsZero() {
		b.WriteString(" AND created_at < ?")
		args = append(args, micros(f.Before))
	}
	if !f.After.IsZero() {
		b.WriteString(" AND created_at > ?")
		args = append(args, micros(f.After))
	}
	if f.AfterID > 0 {
		b.WriteString(" AND id > ?")
		args = append(args, f.AfterID)
	}
	return b.String(), args, nil
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.reader.QueryContext(ctx, s.d.q(query), args...)
}

func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.reader.QueryRowContext(ctx, s.d.q(query), args...)
}

// DefaultListLimit is how many items List returns when Filter.Limit is 0.
const DefaultListLimit = 100

// List returns items matching f, by id ascending.
func (s *Store) List(ctx context.Context, f store.Filter) ([]store.Item, error) {
	where, args, err := filterSQL(f)
	if err != nil {
		return nil, s.errorf("list items: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	rows, err := s.query(ctx, "SELECT "+itemCols+" FROM outbox_items WHERE TRUE"+where+" ORDER BY id LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, s.errorf("list items: %w", err)
	}
	defer rows.Close()
	var items []store.Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, s.errorf("list items: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("list items: %w", err)
	}
	return items, nil
}

// Item returns one item, or store.ErrNotFound.
func (s *Store) Item(ctx context.Context, id int64) (store.Item, error) {
	it, err := scanItem(s.queryRow(ctx, "SELECT "+itemCols+" FROM outbox_items WHERE id = ?", id))
	if isNoRows(err) {
		return store.Item{}, s.errorf("item %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Item{}, s.errorf("item %d: %w", id, err)
	}
	return it, nil
}

// Backlog counts available and running items.
func (s *Store) Backlog(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM outbox_items INDEXED(outbox_items_head) WHERE state IN ('available', 'running')").Scan(&n); err != nil {
		return 0, s.errorf("count the backlog: %w", err)
	}
	return n, nil
}

// Pending lists the destinations and kinds with items claimable at now,
// counting only the items a claim could take (the heads of their keys).
func (s *Store) Pending(ctx context.Context, now time.Time) ([]store.Group, error) {
	rows, err := s.query(ctx, `SELECT o.dest, o.kind, COUNT(*) FROM outbox_items o INDEXED(outbox_items_claim)
 WHERE o.state = 'available' AND o.run_at <= ? AND `+headFree+`
 GROUP BY o.dest, o.kind ORDER BY o.dest, o.kind`, micros(now))
	if err != nil {
		return nil, s.errorf("list pending work: %w", err)
	}
	defer rows.Close()
	var groups []store.Group
	for rows.Next() {
		var g store.Group
		if err := rows.Scan(&g.Dest, &g.Kind, &g.Items); err != nil {
			return nil, s.errorf("list pending work: %w", err)
		}
		groups = append(groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("list pending work: %w", err)
	}
	return groups, nil
}

// Stats summarises the outbox. Groups are the destinations and kinds with
// available, running or dead items, by destination and kind.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	st := store.Stats{ByState: make(map[store.State]int, len(store.States()))}
	for _, state := range store.States() {
		st.ByState[state] = 0
	}
	rows, err := s.query(ctx, "SELECT state, COUNT(*) FROM outbox_items INDEXED(outbox_items_stats) GROUP BY state")
	if err != nil {
		return store.Stats{}, s.errorf("stats: %w", err)
	}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			rows.Close()
			return store.Stats{}, s.errorf("stats: %w", err)
		}
		st.ByState[store.State(state)] = n
	}
	if err := rows.Close(); err != nil {
		return store.Stats{}, s.errorf("stats: %w", err)
	}
	rows, err = s.query(ctx, `SELECT dest, kind,
  SUM(CASE WHEN state = 'available' THEN 1 ELSE 0 END),
  SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END),
  SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END),
  MIN(CASE WHEN state IN ('available', 'running') THEN created_at END)
 FROM outbox_items INDEXED(outbox_items_stats) WHERE state IN ('available', 'running', 'dead')
 GROUP BY dest, kind ORDER BY dest, kind`)
	if err != nil {
		return store.Stats{}, s.errorf("stats: %w", err)
	}
	defer rows.Close()
	var oldest int64
	for rows.Next() {
		var g store.GroupStats
		var first sql.NullInt64
		if err := rows.Scan(&g.Dest, &g.Kind, &g.Available, &g.Running, &g.Dead, &first); err != nil {
			return store.Stats{}, s.errorf("stats: %w", err)
		}
		if first.Valid {
			g.OldestPending = fromMicros(first.Int64)
			if oldest == 0 || first.Int64 < oldest {
				oldest = first.Int64
			}
		}
		st.Groups = append(st.Groups, g)
	}
	if err := rows.Err(); err != nil {
		return store.Stats{}, s.errorf("stats: %w", err)
	}
	st.OldestPending = fromMicros(oldest)
	return st, nil
}

const conversationCols = `dest, id, company_id, end_user_email, end_user_name, bot_name, subject,
 end_user_id, resolved_company_id, messages, created_at, updated_at`

// Conversation returns one conversation, or store.ErrNotFound.
func (s *Store) Conversation(ctx context.Context, dest, id string) (store.Conversation, error) {
	var c store.Conversation
	var created, updated int64
	err := s.queryRow(ctx, "SELECT "+conversationCols+" FROM relay_conversations WHERE dest = ? AND id = ?", dest, id).Scan(
		&c.Dest, &c.ID, &c.CompanyID, &c.EndUserEmail, &c.EndUserName, &c.BotName, &c.Subject,
		&c.EndUserID, &c.ResolvedCompanyID, &c.Messages, &created, &updated)
	if isNoRows(err) {
		return store.Conversation{}, s.errorf("conversation %q of destination %q: %w", id, dest, store.ErrNotFound)
	}
	if err != nil {
		return store.Conversation{}, s.errorf("conversation %s: %w", id, err)
	}
	c.CreatedAt = fromMicros(created)
	c.UpdatedAt = fromMicros(updated)
	return c, nil
}

// Messages returns the newest limit messages of a conversation in Seq
// order; limit <= 0 returns them all. A conversation that does not exist
// is store.ErrNotFound.
func (s *Store) Messages(ctx context.Context, dest, conversationID string, limit int) ([]store.Message, error) {
	query := `SELECT seq, message_id, author, name, body, sent_at, received_at FROM relay_messages
 WHERE dest = ? AND conversation_id = ? ORDER BY seq DESC`
	args := []any{dest, conversationID}
	if limit > 0 {
		query += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, s.errorf("messages of %s: %w", conversationID, err)
	}
	defer rows.Close()
	var msgs []store.Message
	for rows.Next() {
		var m store.Message
		var sent, received int64
		if err := rows.Scan(&m.Seq, &m.MessageID, &m.Author, &m.Name, &m.Text, &sent, &received); err != nil {
			return nil, s.errorf("messages of %s: %w", conversationID, err)
		}
		m.Time = fromMicros(sent)
		m.ReceivedAt = fromMicros(received)
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("messages of %s: %w", conversationID, err)
	}
	if len(msgs) == 0 {
		if _, err := s.Conversation(ctx, dest, conversationID); err != nil {
			return nil, err
		}
		return []store.Message{}, nil
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// Destination returns a destination, or store.ErrNotFound.
func (s *Store) Destination(ctx context.Context, id string) (store.Destination, error) {
	var d store.Destination
	var updated int64
	err := s.queryRow(ctx, "SELECT id, api_url, analytics_url, token, tenant, updated_at FROM destinations WHERE id = ?", id).Scan(
		&d.ID, &d.APIURL, &d.AnalyticsURL, &d.Token, &d.Tenant, &updated)
	if isNoRows(err) {
		return store.Destination{}, s.errorf("destination %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Destination{}, s.errorf("destination %s: %w", id, err)
	}
	d.UpdatedAt = fromMicros(updated)
	return d, nil
}

// Attempts returns an item's failed attempts, oldest first.
func (s *Store) Attempts(ctx context.Context, id int64) ([]store.Attempt, error) {
	rows, err := s.query(ctx, `SELECT at, attempt, error FROM outbox_attempts WHERE item_id = ? ORDER BY at, attempt`, id)
	if err != nil {
		return nil, s.errorf("attempts of item %d: %w", id, err)
	}
	defer rows.Close()
	out := []store.Attempt{}
	for rows.Next() {
		var a store.Attempt
		var at int64
		if err := rows.Scan(&at, &a.Attempt, &a.Error); err != nil {
			return nil, s.errorf("attempts of item %d: %w", id, err)
		}
		a.At = fromMicros(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("attempts of item %d: %w", id, err)
	}
	return out, nil
}
