package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/store"
)

// KindUpsertPrefix starts the outbox kind of queued bulk upserts; the
// model's name follows, e.g. "planhat.upsert.company".
const KindUpsertPrefix = "planhat.upsert."

// UpsertKind is the outbox kind of queued bulk upserts of m.
func UpsertKind(m *planhat.Model) string { return KindUpsertPrefix + m.Name }

// recordKeyables are the fields an item is known by in Planhat's answers,
// in the order they identify it.
var recordKeyables = []string{"_id", "externalId", "sourceId", "extId", "email"}

// recordKey is the first keyable of an item as "field=value", or "".
func recordKey(obj map[string]any) string {
	for _, k := range recordKeyables {
		if s, ok := obj[k].(string); ok && strings.TrimSpace(s) != "" {
			return k + "=" + s
		}
	}
	return ""
}

// UpsertRecords stores records of m for the outbox to upsert in bulk
// calls of up to 5,000, one after another within the token's budget, and
// returns once they are durable. Every item needs a keyable (_id,
// externalId, sourceId, or email for contacts): a delivery may be retried,
// and only a keyable makes a retry update instead of create twice. Upserts
// of one record are sent in order; items Planhat refuses end as dead
// letters with its reason.
func (r *Relay) UpsertRecords(ctx context.Context, c *planhat.Client, m *planhat.Model, items []planhat.Object) (int, error) {
	if !m.Supports(planhat.OpBulk) {
		return 0, fmt.Errorf("relay: %s records cannot be bulk upserted", m.Name)
	}
	creds := c.Credentials()
	if creds.Token == "" {
		return 0, planhat.ErrNoToken
	}
	if err := r.ob.Admit(ctx); err != nil {
		return 0, err
	}
	dest := DestinationID(creds)
	now := r.now()
	kind := UpsertKind(m)
	news := make([]store.NewItem, len(items))
	for i, it := range items {
		if recordKey(it) == "" {
			return 0, &InputError{fmt.Sprintf("items[%d]", i), "give every item _id, externalId or sourceId (email for end users): " +
				"items beyond one Planhat call are delivered later and may be retried, and only a keyable keeps a retry from creating the record twice"}
		}
		b, err := json.Marshal(it)
		if err != nil {
			return 0, fmt.Errorf("relay: encoding %s item %d: %w", m.Name, i, err)
		}
		news[i] = store.NewItem{Kind: kind, Dest: dest, Key: recordKey(it), Payload: b, MaxAttempts: r.opts.MaxAttempts}
	}
	err := r.st.Write(ctx, func(tx store.Tx) error {
		if err := r.putDestination(ctx, tx, dest, creds, now); err != nil {
			return err
		}
		for _, n := range news {
			if _, err := tx.Enqueue(ctx, n, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("relay: storing %s records: %w", m.Name, err)
	}
	r.destinationStored(dest)
	r.ob.Notify()
	return len(items), nil
}

// recordDeliverers are the deliverers of queued bulk upserts, one per
// bulk-capable model.
func (r *Relay) recordDeliverers() map[string]outbox.Deliverer {
	out := map[string]outbox.Deliverer{}
	for _, m := range planhat.Models() {
		if !m.Supports(planhat.OpBulk) {
			continue
		}
		out[UpsertKind(m)] = outbox.DeliverFunc(func(ctx context.Context, dest string, items []store.Item) []outbox.Result {
			return r.deliverRecords(ctx, m, dest, items)
		})
	}
	return out
}

// deliverRecords sends the batch in one bulk upsert (items that failed in
// a batch before go alone) and attributes Planhat's item errors by keyable.
func (r *Relay) deliverRecords(ctx context.Context, m *planhat.Model, dest string, items []store.Item) []outbox.Result {
	res := make([]outbox.Result, len(items))
	c, err := r.client(ctx, dest)
	if err != nil {
		return outbox.All(len(items), outbox.Result{Verdict: outbox.Retry, Err: err})
	}
	var batch []pendingItem
	for i, it := range items {
		var obj planhat.Object
		if err := json.Unmarshal(it.Payload, &obj); err != nil {
			res[i] = outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("unreadable %s item: %w", m.Name, err)}
			continue
		}
		p := pendingItem{index: i, key: recordKey(obj), body: obj}
		if it.Alone {
			r.upsertObjects(ctx, c, m, []pendingItem{p}, true, res)
			continue
		}
		batch = append(batch, p)
	}
	if len(batch) > 0 {
		r.upsertObjects(ctx, c, m, batch, false, res)
	}
	return res
}

// upsertObjects sends the items in one bulk upsert and sorts out which
// failed, telling them apart in Planhat's errors by recordKey: an item
// Planhat refused is isolated (or dead when it already went alone), with
// Planhat's reason; when Planhat does not say which item failed, every
// item goes alone next time, which tells them apart.
func (r *Relay) upsertObjects(ctx context.Context, c *planhat.Client, m *planhat.Model, batch []pendingItem, alone bool, res []outbox.Result) {
	objs := make([]planhat.Object, len(batch))
	for i, p := range batch {
		objs[i] = p.body
	}
	_, err := c.Objects(m).BulkUpsert(ctx, objs)
	var be *planhat.BulkError
	if err != nil && !errors.As(err, &be) {
		v := verdictFor(err)
		for _, p := range batch {
			res[p.index] = v
		}
		return
	}
	failed, unattributed := map[string]string{}, ""
	if be != nil {
		for _, l := range [][]planhat.BulkItemError{be.Result.CreatedErrors, be.Result.UpdatedErrors, be.Result.PermissionErrors} {
			for _, e := range l {
				key := ""
				var echoed map[string]any
				if len(e.Item) > 0 && json.Unmarshal(e.Item, &echoed) == nil {
					key = recordKey(echoed)
				}
				if key == "" && len(batch) == 1 {
					key = batch[0].key
				}
				if key == "" {
					unattributed = e.Message
					continue
				}
				failed[key] = e.Message
			}
		}
	}
	for _, p := range batch {
		msg, bad := failed[p.key]
		switch {
		case bad && alone:
			res[p.index] = outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("Planhat refused the %s: %s", m.Name, msg)}
		case bad:
			res[p.index] = outbox.Result{Verdict: outbox.Isolate, Err: fmt.Errorf("Planhat refused the %s in a bulk call: %s", m.Name, msg)}
		case unattributed != "":
			res[p.index] = outbox.Result{Verdict: outbox.Isolate, Err: fmt.Errorf("an item of the bulk call failed: %s", unattributed)}
		default:
			res[p.index] = outbox.Result{Verdict: outbox.Delivered}
		}
	}
}
