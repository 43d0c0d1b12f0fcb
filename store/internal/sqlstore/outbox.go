package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/planbridge/planbridge/store"
)

const itemCols = `id, kind, dest, order_key, coalesce_key, payload, state, attempts, max_attempts, alone,
 run_at, created_at, updated_at, locked_by, locked_until, last_error, finished_at`

func scanItem(sc scanner) (store.Item, error) {
	var it store.Item
	var state string
	var runAt, createdAt, updatedAt, lockedUntil, finishedAt int64
	if err := sc.Scan(&it.ID, &it.Kind, &it.Dest, &it.Key, &it.Coalesce, &it.Payload, &state,
		&it.Attempts, &it.MaxAttempts, &it.Alone, &runAt, &createdAt, &updatedAt,
		&it.LockedBy, &lockedUntil, &it.LastError, &finishedAt); err != nil {
		return store.Item{}, err
	}
	if it.Payload == nil {
		it.Payload = []byte{}
	}
	it.State = store.State(state)
	it.RunAt = fromMicros(runAt)
	it.CreatedAt = fromMicros(createdAt)
	it.UpdatedAt = fromMicros(updatedAt)
	it.LockedUntil = fromMicros(lockedUntil)
	it.FinishedAt = fromMicros(finishedAt)
	return it, nil
}

// headFree is true for an item no earlier unfinished item of its key
// holds back; o names the item's row.
const headFree = `(o.order_key = '' OR NOT EXISTS (SELECT 1 FROM outbox_items p INDEXED(outbox_items_head)
 WHERE p.dest = o.dest AND p.order_key = o.order_key AND p.id < o.id AND p.state IN ('available', 'running')))`

// ClaimItems marks up to c.Limit claimable items running for c.Owner and
// returns them, oldest first.
func (s *Store) ClaimItems(ctx context.Context, c store.Claim) ([]store.Item, error) {
	if c.Limit <= 0 {
		return nil, nil
	}
	if c.Owner == "" || c.Dest == "" || c.Kind == "" {
		return nil, s.errorf("claim items: a claim needs an Owner, a Dest and a Kind (got owner %q, dest %q, kind %q)", c.Owner, c.Dest, c.Kind)
	}
	if c.Until.IsZero() || c.Now.IsZero() {
		return nil, s.errorf("claim items of %s: Now and Until must be set (Until is when the claim lapses)", c.Kind)
	}
	query := `UPDATE outbox_items SET state = 'running', attempts = attempts + 1, locked_by = ?, locked_until = ?, updated_at = ?
 WHERE id IN (SELECT o.id FROM outbox_items o INDEXED(outbox_items_claim)
  WHERE o.state = 'available' AND o.dest = ? AND o.kind = ? AND o.run_at <= ? AND ` + headFree + `
  ORDER BY o.id LIMIT ?` + s.d.SkipLocked + `)
 RETURNING ` + itemCols
	var items []store.Item
	err := s.write(ctx, true, func(t *wtx) error {
		items = items[:0]
		rows, err := t.query(ctx, query, c.Owner, micros(c.Until), micros(c.Now), c.Dest, c.Kind, micros(c.Now), c.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanItem(rows)
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		return rows.Close()
	})
	if err != nil {
		return nil, s.errorf("claim items of %s for %s: %w", c.Kind, c.Owner, err)
	}
	slices.SortFunc(items, func(a, b store.Item) int { return cmp.Compare(a.ID, b.ID) })
	return items, nil
}

// Extend moves the claim of owner's running items to until and returns
// the ids still held.
func (s *Store) Extend(ctx context.Context, owner string, ids []int64, until time.Time) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var held []int64
	err := s.write(ctx, true, func(t *wtx) error {
		held = held[:0]
		args := []any{micros(until), owner}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err := t.query(ctx, "UPDATE outbox_items SET locked_until = ? WHERE state = 'running' AND locked_by = ? AND id IN ("+marks(len(ids))+") RETURNING id", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			held = append(held, id)
		}
		return rows.Close()
	})
	if err != nil {
		return nil, s.errorf("extend %d claims of %s: %w", len(ids), owner, err)
	}
	slices.Sort(held)
	return held, nil
}

// supersededNote ends the LastError of an item dropped because an
// available item with the same coalesce key already carries newer work.
const supersededNote = "superseded: an available item with the same coalesce key carries newer work"

// Finish records outcomes of owner's running items at now and returns how
// many it applied.
//
// A retried item (State available) whose coalesce key an available item
// took while it ran is discarded instead, its LastError saying so: the
// available item's payload replaced its own, as coalescing does, and the
// coalesce index admits one available item per key.
func (s *Store) Finish(ctx context.Context, owner string, now time.Time, outcomes []store.Outcome) (int, error) {
	var completed []any
	var others []store.Outcome
	for _, o := range outcomes {
		switch o.State {
		case store.StateCompleted:
			completed = append(completed, o.ID)
		case store.StateAvailable, store.StateDead:
			others = append(others, o)
		default:
			return 0, s.errorf("finish item %d: outcome state %q: use completed, available or dead", o.ID, o.State)
		}
	}
	if len(completed)+len(others) == 0 {
		return 0, nil
	}
	// Rows are updated in id order so two finishers lock them in the same order.
	slices.SortFunc(completed, func(a, b any) int { return cmp.Compare(a.(int64), b.(int64)) })
	slices.SortFunc(others, func(a, b store.Outcome) int { return cmp.Compare(a.ID, b.ID) })
	at := micros(now)
	applied := 0
	err := s.write(ctx, true, func(t *wtx) error {
		n, err := t.affectedIn(ctx, `UPDATE outbox_items SET state = 'completed', finished_at = ?, updated_at = ?, locked_by = '', locked_until = 0
 WHERE state = 'running' AND locked_by = ? AND id IN `, []any{at, at, owner}, completed)
		if err != nil {
			return err
		}
		applied = n
		for _, o := range others {
			var n int
			var err error
			if o.State == store.StateDead {
				n, err = t.affected(ctx, `UPDATE outbox_items SET state = 'dead', finished_at = ?, updated_at = ?, last_error = ?, locked_by = '', locked_until = 0
 WHERE id = ? AND state = 'running' AND locked_by = ?`, at, at, o.Error, o.ID, owner)
			} else {
				n, err = t.finishAvailable(ctx, owner, at, o)
			}
			if err != nil {
				return fmt.Errorf("item %d: %w", o.ID, err)
			}
			if n > 0 && o.Error != "" {
				if err := t.logAttempts(ctx, at, o.Error, []any{o.ID}); err != nil {
					return fmt.Errorf("item %d: %w", o.ID, err)
				}
			}
			applied += n
		}
		return nil
	})
	if err != nil {
		return 0, s.errorf("finish %d items of %s: %w", len(outcomes), owner, err)
	}
	return applied, nil
}

func (t *wtx) finishAvailable(ctx context.Context, owner string, at int64, o store.Outcome) (int, error) {
	runAt := at
	if !o.RunAt.IsZero() {
		runAt = micros(o.RunAt)
	}
	refund := 0
	if o.Refund {
		refund = 1
	}
	n, err := t.affected(ctx, `UPDATE outbox_items SET state = 'available', run_at = ?,
 attempts = CASE WHEN attempts > 0 THEN attempts - ? ELSE 0 END, alone = ?, last_error = ?,
 locked_by = '', locked_until = 0, updated_at = ?
 WHERE id = ? AND state = 'running' AND locked_by = ? AND (coalesce_key = '' OR NOT EXISTS (SELECT 1 FROM outbox_items a INDEXED(outbox_items_coalesce)
  WHERE a.dest = outbox_items.dest AND a.kind = outbox_items.kind AND a.coalesce_key = outbox_items.coalesce_key AND a.coalesce_key <> '' AND a.state = 'available'))`,
		runAt, refund, o.Alone, o.Error, at, o.ID, owner)
	if err != nil || n > 0 {
		return n, err
	}
	// Not owner's, or its coalesce key is taken: only the latter matches here.
	msg := supersededNote
	if o.Error != "" {
		msg = o.Error + "; " + supersededNote
	}
	return t.affected(ctx, `UPDATE outbox_items SET state = 'discarded', finished_at = ?, updated_at = ?, last_error = ?, locked_by = '', locked_until = 0
 WHERE id = ? AND state = 'running' AND locked_by = ? AND coalesce_key <> ''`, at, at, msg, o.ID, owner)
}

// inChunk caps the ids of one IN list, well under SQLite's 32766 and
// PostgreSQL's 65535 parameters.
const inChunk = 500

// affectedIn runs query, which ends in "id IN ", once per chunk of ids
// (args first) and returns the rows affected in all.
func (t *wtx) affectedIn(ctx context.Context, query string, args []any, ids []any) (int, error) {
	total := 0
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		n, err := t.affected(ctx, query+"("+marks(len(chunk))+")", append(slices.Clip(args), chunk...)...)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// LapsedError is the LastError of an item whose claim lapsed.
const LapsedError = "claim lapsed: the deliverer stopped (crash or stall) before finishing"

type lapsed struct {
	id                   int64
	dest, kind, coalesce string
	attempts, max        int
}

// Rescue returns running items whose claim lapsed before now to available
// (or dead, when out of attempts) and returns how many.
//
// Of lapsed items whose coalesce key is taken by an available item, or
// shared with a newer lapsed one, only the newest can go back: the others
// are discarded as superseded, as Finish does.
func (s *Store) Rescue(ctx context.Context, now time.Time) (int, error) {
	at := micros(now)
	total := 0
	err := s.write(ctx, true, func(t *wtx) error {
		total = 0
		rows, err := t.query(ctx, `SELECT id, dest, kind, coalesce_key, attempts, max_attempts FROM outbox_items INDEXED(outbox_items_lapse)
 WHERE state = 'running' AND locked_until < ? ORDER BY id`+s.d.SkipLocked, at)
		if err != nil {
			return err
		}
		var found []lapsed
		for rows.Next() {
			var l lapsed
			if err := rows.Scan(&l.id, &l.dest, &l.kind, &l.coalesce, &l.attempts, &l.max); err != nil {
				rows.Close()
				return err
			}
			found = append(found, l)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		var back, dead []any
		superseded := map[int64]int64{} // lapsed id -> the item that supersedes it
		type slot struct{ dest, kind, coalesce string }
		groups := map[slot][]int64{}
		for _, l := range found {
			switch {
			case l.attempts >= l.max:
				dead = append(dead, l.id)
			case l.coalesce == "":
				back = append(back, l.id)
			default:
				k := slot{l.dest, l.kind, l.coalesce}
				groups[k] = append(groups[k], l.id) // in id order, as found is
			}
		}
		for k, ids := range groups {
			var by int64
			err := t.queryRow(ctx, "SELECT id FROM outbox_items INDEXED(outbox_items_coalesce) WHERE dest = ? AND kind = ? AND coalesce_key = ? AND state = 'available' AND coalesce_key <> ''",
				k.dest, k.kind, k.coalesce).Scan(&by)
			switch {
			case err == nil:
			case isNoRows(err):
				by = ids[len(ids)-1]
				back = append(back, by)
				ids = ids[:len(ids)-1]
			default:
				return err
			}
			for _, id := range ids {
				superseded[id] = by
			}
		}
		n, err := t.affectedIn(ctx, `UPDATE outbox_items SET state = 'available', run_at = ?, last_error = ?, locked_by = '', locked_until = 0, updated_at = ?
 WHERE state = 'running' AND locked_until < ? AND id IN `, []any{at, LapsedError, at, at}, back)
		if err != nil {
			return err
		}
		total += n
		n, err = t.affectedIn(ctx, `UPDATE outbox_items SET state = 'dead', finished_at = ?, last_error = ?, locked_by = '', locked_until = 0, updated_at = ?
 WHERE state = 'running' AND locked_until < ? AND id IN `, []any{at, LapsedError + ", and it has no attempts left", at, at}, dead)
		if err != nil {
			return err
		}
		total += n
		if err := t.logAttempts(ctx, at, LapsedError, append(slices.Clip(back), dead...)); err != nil {
			return err
		}
		for id, by := range superseded {
			n, err := t.affected(ctx, `UPDATE outbox_items SET state = 'discarded', finished_at = ?, last_error = ?, locked_by = '', locked_until = 0, updated_at = ?
 WHERE state = 'running' AND locked_until < ? AND id = ?`,
				at, fmt.Sprintf("%s; superseded by item %d, which has the same coalesce key and newer work", LapsedError, by), at, at, id)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, s.errorf("rescue lapsed claims: %w", err)
	}
	if total > 0 {
		s.log.Warn("rescued items whose claim lapsed", "items", total)
	}
	return total, nil
}

// Prune deletes up to limit completed and discarded items finished before before.
func (s *Store) Prune(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	n := 0
	err := s.write(ctx, true, func(t *wtx) error {
		// The same rows twice in one transaction: their attempt log, then them.
		pick := `SELECT id FROM outbox_items INDEXED(outbox_items_finished)
 WHERE state IN ('completed', 'discarded') AND finished_at < ? ORDER BY finished_at, id LIMIT ?`
		if _, err := t.exec(ctx, `DELETE FROM outbox_attempts WHERE item_id IN (`+pick+`)`, micros(before), limit); err != nil {
			return err
		}
		var err error
		n, err = t.affected(ctx, `DELETE FROM outbox_items WHERE id IN (`+pick+`)`, micros(before), limit)
		return err
	})
	if err != nil {
		return 0, s.errorf("prune finished items: %w", err)
	}
	return n, nil
}

// Retry makes matching dead, discarded or available items available at now
// with fresh attempts.
//
// A dead or discarded item whose coalesce key an available item holds is
// skipped (left as it is, not counted): the available item already
// carries newer work for the key, and the coalesce index admits one. Of
// several such items with one free key, only the newest is retried.
func (s *Store) Retry(ctx context.Context, f store.Filter, now time.Time) (int, error) {
	where, args, err := filterSQL(f)
	if err != nil {
		return 0, s.errorf("retry: %w", err)
	}
	at := micros(now)
	total := 0
	err = s.write(ctx, true, func(t *wtx) error {
		total = 0
		rows, err := t.query(ctx, `SELECT id, dest, kind, coalesce_key, state FROM outbox_items
 WHERE state IN ('dead', 'discarded', 'available')`+where+` ORDER BY id`+s.d.ForUpdate, args...)
		if err != nil {
			return err
		}
		type slot struct{ dest, kind, coalesce string }
		var ids []any
		newest := map[slot]int64{}
		taken := map[slot]bool{}
		for rows.Next() {
			var id int64
			var k slot
			var state string
			if err := rows.Scan(&id, &k.dest, &k.kind, &k.coalesce, &state); err != nil {
				rows.Close()
				return err
			}
			switch {
			case k.coalesce == "":
				ids = append(ids, id)
			case state == string(store.StateAvailable):
				ids = append(ids, id)
				taken[k] = true
			default:
				newest[k] = id // rows come in id order
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for k, id := range newest {
			if taken[k] {
				continue
			}
			var avail int64
			err := t.queryRow(ctx, "SELECT id FROM outbox_items INDEXED(outbox_items_coalesce) WHERE dest = ? AND kind = ? AND coalesce_key = ? AND state = 'available' AND coalesce_key <> ''",
				k.dest, k.kind, k.coalesce).Scan(&avail)
			switch {
			case err == nil:
			case isNoRows(err):
				ids = append(ids, id)
			default:
				return err
			}
		}
		n, err := t.affectedIn(ctx, `UPDATE outbox_items SET state = 'available', attempts = 0, run_at = ?, finished_at = 0, alone = FALSE,
 locked_by = '', locked_until = 0, updated_at = ?
 WHERE state IN ('dead', 'discarded', 'available') AND id IN `, []any{at, at}, ids)
		total = n
		return err
	})
	if err != nil {
		return 0, s.errorf("retry items: %w", err)
	}
	return total, nil
}

// Discard marks matching available and dead items discarded.
func (s *Store) Discard(ctx context.Context, f store.Filter, now time.Time) (int, error) {
	where, args, err := filterSQL(f)
	if err != nil {
		return 0, s.errorf("discard: %w", err)
	}
	at := micros(now)
	n := 0
	err = s.write(ctx, true, func(t *wtx) error {
		var err error
		n, err = t.affected(ctx, `UPDATE outbox_items SET state = 'discarded', finished_at = ?, updated_at = ?, locked_by = '', locked_until = 0
 WHERE state IN ('available', 'dead')`+where, append([]any{at, at}, args...)...)
		return err
	})
	if err != nil {
		return 0, s.errorf("discard items: %w", err)
	}
	return n, nil
}

// SetConversationContact remembers the Planhat contact and company found
// for a conversation; it returns store.ErrNotFound when there is none.
func (s *Store) SetConversationContact(ctx context.Context, dest, id, endUserID, companyID string) error {
	n := 0
	err := s.write(ctx, true, func(t *wtx) error {
		var err error
		n, err = t.affected(ctx, "UPDATE relay_conversations SET end_user_id = ?, resolved_company_id = ? WHERE dest = ? AND id = ?",
			endUserID, companyID, dest, id)
		return err
	})
	if err != nil {
		return s.errorf("set the contact of conversation %s: %w", id, err)
	}
	if n == 0 {
		return s.errorf("set the contact of conversation %q of destination %q: %w", id, dest, store.ErrNotFound)
	}
	return nil
}

// AcquireLease takes or renews the lease name for holder until until, when
// it is free, lapsed at now, or already holder's.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	if name == "" || holder == "" {
		return false, s.errorf("acquire lease: a lease needs a name and a holder (got %q, %q)", name, holder)
	}
	n := 0
	err := s.write(ctx, true, func(t *wtx) error {
		var err error
		n, err = t.affected(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
 WHERE leases.holder = excluded.holder OR leases.expires_at < ?`, name, holder, micros(until), micros(now))
		return err
	})
	if err != nil {
		return false, s.errorf("acquire lease %s for %s: %w", name, holder, err)
	}
	return n > 0, nil
}

// ReleaseLease gives the lease up if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	err := s.write(ctx, true, func(t *wtx) error {
		_, err := t.exec(ctx, "DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)
		return err
	})
	if err != nil {
		return s.errorf("release lease %s of %s: %w", name, holder, err)
	}
	return nil
}

// logAttempts records a failed attempt of each of ids (after their update,
// so the attempt count is the item's), keeping the newest MaxAttemptLog
// of each: snoozes spend no attempt, so only this bounds the log.
func (t *wtx) logAttempts(ctx context.Context, at int64, msg string, ids []any) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.affectedIn(ctx, `INSERT INTO outbox_attempts (item_id, at, attempt, error) SELECT id, ?, attempts, ? FROM outbox_items WHERE id IN `,
		[]any{at, msg}, ids); err != nil {
		return fmt.Errorf("logging the attempt: %w", err)
	}
	for _, id := range ids {
		if _, err := t.exec(ctx, `DELETE FROM outbox_attempts WHERE item_id = ? AND at < (SELECT at FROM outbox_attempts WHERE item_id = ? ORDER BY at DESC LIMIT 1 OFFSET ?)`,
			id, id, store.MaxAttemptLog-1); err != nil {
			return fmt.Errorf("trimming the attempt log: %w", err)
		}
	}
	return nil
}
