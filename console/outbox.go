package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/planbridge/planbridge/internal/outboxadmin"
	"github.com/planbridge/planbridge/store"
)

// outboxPageSize is how many items one table of the outbox page shows.
const outboxPageSize = 100

// maxBulkCount is how far the confirmation page counts a bulk selection.
const maxBulkCount = 1000

// outboxQuery is the outbox page's filter as the operator typed it.
type outboxQuery struct {
	States  []string
	Kind    string
	Dest    string
	Token   string
	Key     string
	After   string
	Before  string
	AfterID int64
}

// spec is the query as the admin API's selection.
func (q outboxQuery) spec() outboxadmin.FilterSpec {
	return outboxadmin.FilterSpec{States: q.States, Kind: q.Kind, Dest: q.Dest, Key: q.Key, After: q.After, Before: q.Before}
}

// values are the query as URL parameters, for links and hidden fields.
func (q outboxQuery) values() url.Values {
	v := url.Values{}
	for _, s := range q.States {
		v.Add("state", s)
	}
	for name, val := range map[string]string{"kind": q.Kind, "dest": q.Dest, "token": q.Token, "key": q.Key, "after": q.After, "before": q.Before} {
		if val != "" {
			v.Set(name, val)
		}
	}
	return v
}

// outboxQueryFields are the parameters the outbox page and its forms take.
var outboxQueryFields = []string{"state", "kind", "dest", "token", "key", "after", "before", "afterId"}

func readOutboxQuery(v url.Values) (outboxQuery, error) {
	q := outboxQuery{Kind: strings.TrimSpace(v.Get("kind")), Dest: strings.TrimSpace(v.Get("dest")), Token: strings.TrimSpace(v.Get("token")),
		Key: strings.TrimSpace(v.Get("key")), After: strings.TrimSpace(v.Get("after")), Before: strings.TrimSpace(v.Get("before"))}
	for _, s := range v["state"] {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(q.States, s) {
			q.States = append(q.States, s)
		}
	}
	if raw := v.Get("afterId"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			return q, badInput("afterId must be an item id (a whole number), not %q; use the page's Next link.", truncate(raw, 40))
		}
		q.AfterID = n
	}
	for _, f := range []string{q.Kind, q.Dest, q.Token, q.Key, q.After, q.Before} {
		if len(f) > 500 {
			return q, badInput("A filter field is longer than 500 characters; shorten it.")
		}
	}
	return q, nil
}

// filter resolves the query into the store's filter; a token fingerprint
// becomes the destination that uses it.
func (c *Console) filter(ctx context.Context, q outboxQuery) (store.Filter, error) {
	f, err := q.spec().Filter(c.opts.Now())
	if err != nil {
		var fe *outboxadmin.FieldError
		if errors.As(err, &fe) {
			return f, badInput("The filter's %s %s.", fe.Field, fe.Msg)
		}
		return f, badInput("The filter is not valid: %s.", err.Error())
	}
	if q.Token != "" {
		dest, err := c.destForToken(ctx, q.Token)
		if err != nil {
			return f, err
		}
		if f.Dest != "" && f.Dest != dest {
			return f, badInput("The destination and the token fingerprint name different destinations; give one of them.")
		}
		f.Dest = dest
	}
	f.AfterID = q.AfterID
	return f, nil
}

// destForToken finds the destination of a token fingerprint among those with outbox work.
func (c *Console) destForToken(ctx context.Context, fp string) (string, error) {
	st, err := c.opts.Store.Stats(ctx)
	if err != nil {
		return "", err
	}
	seen := map[string]bool{}
	for _, g := range st.Groups {
		if seen[g.Dest] {
			continue
		}
		seen[g.Dest] = true
		d := &DestinationOverview{ID: g.Dest}
		if err := c.describeDest(ctx, d); err != nil {
			return "", err
		}
		if d.TokenFingerprint == fp {
			return g.Dest, nil
		}
	}
	return "", badInput("No destination with unfinished work uses a token with fingerprint %q; the overview lists the fingerprints (as /metrics does). For finished items filter by destination id.", truncate(fp, 40))
}

// itemRow is one line of the outbox table.
type itemRow struct {
	outboxadmin.Item
	// BlockedBy is the head of the item's key when the item waits behind it.
	BlockedBy *outboxadmin.Item
	Age       string
}

type outboxView struct {
	Query  outboxQuery
	Params string
	// Dead are the dead letters matching the filter, shown first when no
	// state is chosen.
	Dead   []itemRow
	Items  []itemRow
	Next   string
	States []string
	Kinds  []string
}

func (c *Console) outboxPage(r *http.Request, v *view) (string, error) {
	v.Title, v.Nav, v.Refresh = "Outbox", "outbox", 10
	q, err := readOutboxQuery(r.URL.Query())
	ov := outboxView{Query: q}
	for _, s := range store.States() {
		ov.States = append(ov.States, string(s))
	}
	v.Data = &ov
	if err != nil {
		return "outbox", err
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	f, err := c.filter(ctx, q)
	if err != nil {
		return "outbox", err
	}
	ov.Params = q.values().Encode()
	st, err := c.opts.Store.Stats(ctx)
	if err != nil {
		return "", err
	}
	for _, g := range st.Groups {
		if !slices.Contains(ov.Kinds, g.Kind) {
			ov.Kinds = append(ov.Kinds, g.Kind)
		}
	}
	heads := map[string]*outboxadmin.Item{}
	if len(f.States) == 0 && f.AfterID == 0 {
		df := f
		df.States, df.Limit = []store.State{store.StateDead}, outboxPageSize
		dead, err := c.opts.Store.List(ctx, df)
		if err != nil {
			return "", err
		}
		ov.Dead = c.rows(ctx, dead, heads)
		f.States = []store.State{store.StateAvailable, store.StateRunning, store.StateCompleted, store.StateDiscarded}
	}
	f.Limit = outboxPageSize
	items, err := c.opts.Store.List(ctx, f)
	if err != nil {
		return "", err
	}
	ov.Items = c.rows(ctx, items, heads)
	if len(items) == outboxPageSize {
		next := q.values()
		next.Set("afterId", strconv.FormatInt(items[len(items)-1].ID, 10))
		if len(q.States) == 0 {
			for _, s := range f.States {
				next.Add("state", string(s))
			}
		}
		ov.Next = "/console/outbox?" + next.Encode()
	}
	return "outbox", nil
}

// maxHeadLookups bounds the extra reads one page makes to find what blocks a key.
const maxHeadLookups = 50

// rows shows items, finding for each available item with a key the head
// of that key: the oldest unfinished item, which the outbox delivers first.
func (c *Console) rows(ctx context.Context, items []store.Item, heads map[string]*outboxadmin.Item) []itemRow {
	now := c.opts.Now()
	out := make([]itemRow, 0, len(items))
	for _, it := range items {
		row := itemRow{Item: outboxadmin.NewItem(it), Age: age(now.Sub(it.CreatedAt))}
		row.Payload, row.PayloadBase64 = nil, nil
		if it.Key != "" && it.State == store.StateAvailable {
			hk := it.Dest + "\x00" + it.Key
			head, seen := heads[hk]
			if !seen && len(heads) < maxHeadLookups {
				got, err := c.opts.Store.List(ctx, store.Filter{Dest: it.Dest, Key: it.Key, States: []store.State{store.StateAvailable, store.StateRunning}, Limit: 1})
				if err == nil && len(got) == 1 {
					h := outboxadmin.NewItem(got[0])
					h.Payload, h.PayloadBase64 = nil, nil
					head = &h
				}
				heads[hk] = head
			}
			if head != nil && head.ID != it.ID {
				row.BlockedBy = head
			}
		}
		out = append(out, row)
	}
	return out
}

type itemView struct {
	Item                 outboxadmin.Item
	Log                  []store.Attempt
	Payload              string
	Binary               bool
	Blocked              *outboxadmin.Item
	CanRetry, CanDiscard bool
}

func (c *Console) itemPage(r *http.Request, v *view) (string, error) {
	v.Title, v.Nav = "Outbox item", "outbox"
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return "", &userError{http.StatusNotFound, fmt.Sprintf("%q is not an item id; the outbox page lists the items.", truncate(raw, 40))}
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	it, err := c.opts.Store.Item(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", &userError{http.StatusNotFound, fmt.Sprintf("The outbox has no item %d: delivered and discarded items are pruned after the retention period.", id)}
	}
	if err != nil {
		return "", err
	}
	iv := itemView{Item: outboxadmin.NewItem(it),
		CanRetry:   it.State == store.StateDead || it.State == store.StateDiscarded || it.State == store.StateAvailable,
		CanDiscard: it.State == store.StateDead || it.State == store.StateAvailable}
	var pretty bytes.Buffer
	if json.Valid(it.Payload) && json.Indent(&pretty, it.Payload, "", "  ") == nil {
		iv.Payload = pretty.String()
	} else {
		iv.Payload, iv.Binary = fmt.Sprintf("%q", it.Payload), true
	}
	if iv.Log, err = c.opts.Store.Attempts(ctx, id); err != nil {
		return "", err
	}
	if rows := c.rows(ctx, []store.Item{it}, map[string]*outboxadmin.Item{}); len(rows) == 1 {
		iv.Blocked = rows[0].BlockedBy
	}
	v.Title = fmt.Sprintf("Outbox item %d", id)
	v.Data = iv
	return "item", nil
}

type confirmView struct {
	Op      string
	Count   string
	Summary string
	Fields  url.Values
	Back    string
}

// change serves the retry and discard forms: selected ids, or everything
// a filter matches after a confirmation page that says how many.
func (c *Console) change(op string) actionFunc {
	return func(w http.ResponseWriter, r *http.Request, s session) (string, error) {
		form := r.PostForm
		ctx, cancel := storeCtx(r)
		defer cancel()
		var f store.Filter
		back := "/console/outbox"
		switch form.Get("scope") {
		case "ids":
			for _, raw := range form["id"] {
				id, err := strconv.ParseInt(raw, 10, 64)
				if err != nil || id < 1 {
					return "", badInput("%q is not an item id.", truncate(raw, 40))
				}
				f.IDs = append(f.IDs, id)
			}
			if len(f.IDs) == 0 {
				return "", badInput("No item was selected: tick the items to %s, or use \"%s all matching\".", op, op)
			}
			if len(f.IDs) > maxBulkCount {
				return "", badInput("%d items were selected; select at most %d, or act on the filter.", len(f.IDs), maxBulkCount)
			}
			if len(f.IDs) == 1 {
				back = "/console/outbox/" + strconv.FormatInt(f.IDs[0], 10)
			}
		case "filter":
			q, err := readOutboxQuery(form)
			if err != nil {
				return "", err
			}
			if f, err = c.filter(ctx, q); err != nil {
				return "", err
			}
			f.AfterID = 0
			back = "/console/outbox?" + q.values().Encode()
		default:
			return "", badInput("The form says neither which items (scope=ids) nor which filter (scope=filter) to %s.", op)
		}
		if form.Get("confirm") != "yes" && (op == "discard" || form.Get("scope") == "filter") {
			cf := f
			cf.Limit = maxBulkCount
			if op == "retry" {
				cf.States = intersect(cf.States, store.StateDead, store.StateDiscarded, store.StateAvailable)
			} else {
				cf.States = intersect(cf.States, store.StateDead, store.StateAvailable)
			}
			n := 0
			if cf.States != nil {
				items, err := c.opts.Store.List(ctx, cf)
				if err != nil {
					return "", err
				}
				n = len(items)
			}
			count := strconv.Itoa(n)
			if n == maxBulkCount {
				count = "at least " + count
			}
			fields := url.Values{}
			for k, vs := range form {
				if k != "csrf" && k != "confirm" {
					fields[k] = vs
				}
			}
			v := &view{Title: "Confirm " + op, Nav: "outbox", CSRF: s.csrf(), Sandbox: c.opts.Sandbox != nil, Version: c.opts.Version,
				Data: confirmView{Op: op, Count: count, Summary: describeFilter(form), Fields: fields, Back: back}}
			c.render(w, "confirm", v)
			return "", nil
		}
		var n int
		var err error
		if op == "retry" {
			n, err = c.opts.Store.Retry(ctx, f, c.opts.Now())
		} else {
			n, err = c.opts.Store.Discard(ctx, f, c.opts.Now())
		}
		if err != nil {
			return "", err
		}
		c.log.Info("console: outbox items changed", "op", op, "items", n, "request_id", requestID(r))
		sep := "?"
		if strings.Contains(back, "?") {
			sep = "&"
		}
		return back + sep + "done=" + op + "&n=" + strconv.Itoa(n), nil
	}
}

// intersect narrows chosen states (none meaning all) to those allowed; nil
// means nothing is left.
func intersect(chosen []store.State, allowed ...store.State) []store.State {
	if len(chosen) == 0 {
		return allowed
	}
	var out []store.State
	for _, s := range chosen {
		if slices.Contains(allowed, s) {
			out = append(out, s)
		}
	}
	return out
}

// describeFilter says in words which items a form selects.
func describeFilter(form url.Values) string {
	if form.Get("scope") == "ids" {
		ids := form["id"]
		if len(ids) == 1 {
			return "item " + ids[0]
		}
		return fmt.Sprintf("the %d selected items", len(ids))
	}
	var parts []string
	if s := form["state"]; len(s) > 0 {
		parts = append(parts, "state "+strings.Join(s, " or "))
	}
	for _, f := range []struct{ name, label string }{{"kind", "kind"}, {"dest", "destination"}, {"token", "token"}, {"key", "key"}, {"after", "created after"}, {"before", "created before"}} {
		if v := form.Get(f.name); v != "" {
			parts = append(parts, f.label+" "+v)
		}
	}
	if len(parts) == 0 {
		return "every item"
	}
	return "items with " + strings.Join(parts, ", ")
}

// age says how long ago, roughly, in the operator's terms.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
