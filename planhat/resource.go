package planhat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Object is an untyped Planhat record, used for models without a typed wrapper and by
// callers that pass records through (the actions layer).
type Object map[string]any

// ID returns the record's _id, or "" when absent.
func (o Object) ID() string { return o.String("_id") }

func (o Object) recordID() string { return o.ID() }

// identified is implemented by every model type; iterators use it to notice a server that
// ignores offset.
type identified interface{ recordID() string }

func firstID[T any](items []T) string {
	if len(items) == 0 {
		return ""
	}
	if r, ok := any(items[0]).(identified); ok {
		return r.recordID()
	}
	return ""
}

// String returns the field as a string ("" when absent; numbers and booleans formatted).
func (o Object) String(key string) string {
	switch v := o[key].(type) {
	case string:
		return v
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// ListOptions shapes one list call (GET /<model>); for All, Limit is the page size.
type ListOptions struct {
	// Limit is the page size; 0 uses the model's default (List) or maximum (All), and values
	// above the model's maximum are lowered to it.
	Limit int
	// Offset skips that many records.
	Offset int
	// Sort is a property name, "-name" for descending; it is case-sensitive.
	Sort string
	// Select limits the properties returned (_id always comes back).
	Select []string
	// CompanyIDs keeps records of these companies (sent comma-joined as companyId).
	CompanyIDs []string
	// Filters carries any other query parameters, e.g. email or status.
	Filters url.Values
}

// check refuses a blank company id: sent as an empty companyId filter, it would list the
// records of every company.
func (o *ListOptions) check(m *Model) error {
	if o == nil || !slices.ContainsFunc(o.CompanyIDs, func(id string) bool { return strings.TrimSpace(id) == "" }) {
		return nil
	}
	return &ValidationError{Model: m.Name, Field: "companyId", Message: "ListOptions.CompanyIDs holds a blank id, which would go out as an empty companyId filter and list the records of every company; pass each company's _id or keyable"}
}

func (o *ListOptions) query(m *Model, limit int) url.Values {
	q := url.Values{}
	if o != nil {
		for k, vs := range o.Filters {
			q[k] = slices.Clone(vs)
		}
		if o.Offset > 0 {
			q.Set("offset", strconv.Itoa(o.Offset))
		}
		if o.Sort != "" {
			q.Set("sort", o.Sort)
		}
		if len(o.Select) > 0 {
			q.Set("select", strings.Join(o.Select, ","))
		}
		if len(o.CompanyIDs) > 0 {
			q.Set("companyId", strings.Join(o.CompanyIDs, ","))
		}
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(min(limit, m.MaxLimit)))
	}
	return q
}

// DeleteResult is Planhat's answer to a delete, normally {"n":1,"ok":1,"deletedCount":1}.
type DeleteResult struct {
	// N is the number of matched records.
	N int `json:"n"`
	// OK is 1 when the operation ran.
	OK int `json:"ok"`
	// DeletedCount is the number of records removed.
	DeletedCount int `json:"deletedCount"`
	// Deleted holds the removed record when Planhat returns it instead of counts.
	Deleted json.RawMessage `json:"-"`
}

// Resource serves one model with the generic operations; typed accessors such as
// Client.Companies return a Resource of the model's struct.
type Resource[T any] struct {
	c *Client
	m *Model
}

// NewResource serves model m with records decoded as T; use it for custom models.
func NewResource[T any](c *Client, m *Model) *Resource[T] { return &Resource[T]{c: c, m: m} }

// Model returns the model served.
func (r *Resource[T]) Model() *Model { return r.m }

func (r *Resource[T]) supports(op Ops, what string) error {
	if r.m == nil {
		return &ValidationError{Message: "no model given; pass one of planhat.Models() or a *planhat.Model describing a custom model", Err: ErrUnsupported}
	}
	if r.m.Supports(op) {
		return nil
	}
	return &ValidationError{Model: r.m.Name, Message: fmt.Sprintf("%s is not available for %s records (supported: %s)", what, r.m.Name, r.m.Ops), Err: ErrUnsupported}
}

// supportsOn is supports for the calls that address one record, which also need an id the
// model accepts.
func (r *Resource[T]) supportsOn(op Ops, what string, id ID) error {
	if err := r.supports(op, what); err != nil {
		return err
	}
	return id.checkFor(r.m)
}

func (r *Resource[T]) itemPath(id ID) string { return "/" + r.m.Path + "/" + id.segment() }

// Create creates one record (POST) after checking required fields and reserved values; it
// is never retried, because a retry could create a duplicate.
func (r *Resource[T]) Create(ctx context.Context, item T) (T, error) {
	var out T
	if err := r.supports(OpCreate, "create"); err != nil {
		return out, err
	}
	body, err := json.Marshal(item)
	if err != nil {
		return out, fmt.Errorf("planhat: encoding %s: %w", r.m.Name, err)
	}
	if body, err = prepareCreate(r.m, body); err != nil {
		return out, err
	}
	err = r.c.call(ctx, &request{method: http.MethodPost, path: "/" + r.m.Path, body: body}, &out)
	return out, err
}

// Get reads one record by _id or keyable.
func (r *Resource[T]) Get(ctx context.Context, id ID) (T, error) {
	var out T
	if err := r.supportsOn(OpGet, "get", id); err != nil {
		return out, err
	}
	err := r.c.call(ctx, &request{method: http.MethodGet, path: r.itemPath(id), retry: true}, &out)
	return out, err
}

// Update changes the fields present in patch (a struct, map or Object) on the record with
// the given _id or keyable. PUT is a partial update; "_id" in the patch is dropped because
// Planhat may reject it. Typed structs omit empty fields, so pass a map to set a field to
// false, 0 or "". A reserved value (a conversation type email, chat, ticket or call) is
// refused before sending, so that no update turns a record into one: leave Type empty to
// keep a conversation's type.
func (r *Resource[T]) Update(ctx context.Context, id ID, patch any) (T, error) {
	var out T
	if err := r.supportsOn(OpUpdate, "update", id); err != nil {
		return out, err
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return out, fmt.Errorf("planhat: encoding %s update: %w", r.m.Name, err)
	}
	if body, err = prepareUpdate(r.m, body); err != nil {
		return out, err
	}
	err = r.c.call(ctx, &request{method: http.MethodPut, path: r.itemPath(id), body: body, retry: true}, &out)
	return out, err
}

// Delete removes one record. A keyable is first resolved to the record's _id, because
// Planhat documents DELETE for _id only.
func (r *Resource[T]) Delete(ctx context.Context, id ID) (*DeleteResult, error) {
	if err := r.supportsOn(OpDelete, "delete", id); err != nil {
		return nil, err
	}
	if id.IsKeyable() {
		var rec struct {
			ID string `json:"_id"`
		}
		if err := r.c.call(ctx, &request{method: http.MethodGet, path: r.itemPath(id), query: url.Values{"select": {"_id"}}, retry: true}, &rec); err != nil {
			return nil, err
		}
		if rec.ID == "" {
			return nil, fmt.Errorf("planhat: delete %s %s: Planhat returned the record without an _id", r.m.Name, id)
		}
		id = ID(rec.ID)
	}
	req := &request{method: http.MethodDelete, path: r.itemPath(id), retry: true}
	resp, err := r.c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return parseDeleteResult(resp.body), nil
}

func parseDeleteResult(body []byte) *DeleteResult {
	res := &DeleteResult{}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		res.OK = 1
		return res
	}
	var counts struct {
		N            *FlexNumber `json:"n"`
		OK           *FlexNumber `json:"ok"`
		DeletedCount *FlexNumber `json:"deletedCount"`
		ID           string      `json:"_id"`
	}
	if json.Unmarshal(body, &counts) != nil {
		res.OK = 1
		return res
	}
	if counts.N == nil && counts.OK == nil && counts.DeletedCount == nil {
		// Some deletes return the removed record.
		res.N, res.OK, res.DeletedCount = 1, 1, 1
		if counts.ID == "" {
			res.N, res.DeletedCount = 0, 0
		}
		res.Deleted = json.RawMessage(body)
		return res
	}
	for _, p := range []struct {
		dst *int
		src *FlexNumber
	}{{&res.N, counts.N}, {&res.OK, counts.OK}, {&res.DeletedCount, counts.DeletedCount}} {
		if p.src != nil {
			*p.dst = p.src.Int()
		}
	}
	return res
}

// List reads one page (GET /<model>) as Planhat returns it: a bare array.
func (r *Resource[T]) List(ctx context.Context, opts *ListOptions) ([]T, error) {
	if err := r.supports(OpList, "list"); err != nil {
		return nil, err
	}
	if err := opts.check(r.m); err != nil {
		return nil, err
	}
	limit := 0
	if opts != nil {
		limit = opts.Limit
	}
	return r.page(ctx, opts.query(r.m, limit))
}

func (r *Resource[T]) page(ctx context.Context, q url.Values) ([]T, error) {
	var out []T
	err := r.c.call(ctx, &request{method: http.MethodGet, path: "/" + r.m.Path, query: q, retry: true}, &out)
	return out, err
}

// maxCompanyIDQuery keeps companyId filters short enough for proxies' URL limits.
const maxCompanyIDQuery = 1500

// All iterates over every matching record, paging at the model's maximum page size (or
// opts.Limit, if smaller) and stopping at the first short page. Long CompanyIDs lists are
// queried in groups, one after another. An error is yielded once, and ends the iteration.
func (r *Resource[T]) All(ctx context.Context, opts *ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := r.supports(OpList, "list"); err != nil {
			yield(zero, err)
			return
		}
		if err := opts.check(r.m); err != nil {
			yield(zero, err)
			return
		}
		o := ListOptions{}
		if opts != nil {
			o = *opts
		}
		pageSize := r.m.MaxLimit
		if o.Limit > 0 {
			pageSize = min(o.Limit, r.m.MaxLimit)
		}
		for _, group := range groupIDs(o.CompanyIDs, maxCompanyIDQuery) {
			g := o
			g.CompanyIDs = group
			fetch := func(offset int) ([]T, error) {
				g.Offset = offset
				return r.page(ctx, g.query(r.m, pageSize))
			}
			if !pageThrough(r.m.Path, o.Offset, pageSize, fetch, yield) {
				return
			}
		}
	}
}

// pageThrough yields the items of the pages fetch returns from offset on, until a short
// page, and reports whether it got there (false when yield stopped it or an error was
// yielded). A page that starts with the previous page's first record means the server
// ignores offset; iteration stops with an error rather than looping forever.
func pageThrough[T any](what string, offset, pageSize int, fetch func(offset int) ([]T, error), yield func(T, error) bool) bool {
	var zero T
	prevFirst := ""
	for {
		items, err := fetch(offset)
		if err != nil {
			yield(zero, err)
			return false
		}
		first := firstID(items)
		if first != "" && first == prevFirst {
			yield(zero, fmt.Errorf("planhat: listing %s: the page at offset %d repeats the previous one; the server ignores offset, so iteration stopped", what, offset))
			return false
		}
		prevFirst = first
		for _, it := range items {
			if !yield(it, nil) {
				return false
			}
		}
		if len(items) < pageSize {
			return true
		}
		offset += len(items)
	}
}

// groupIDs splits ids into groups whose comma-joined length stays under limit; no ids gives
// one empty group (no filter).
func groupIDs(ids []string, limit int) [][]string {
	if len(ids) == 0 {
		return [][]string{nil}
	}
	var groups [][]string
	var cur []string
	n := 0
	for _, id := range ids {
		if len(cur) > 0 && n+1+len(id) > limit {
			groups = append(groups, cur)
			cur, n = nil, 0
		}
		cur = append(cur, id)
		n += len(id) + 1
	}
	return append(groups, cur)
}

// prepareCreate applies the model's defaults and refuses missing required fields and
// reserved values, before anything is sent.
func prepareCreate(m *Model, body []byte) ([]byte, error) {
	if len(m.Required) == 0 && len(m.RequiredOneOf) == 0 && len(m.Defaults) == 0 && len(m.Reserved) == 0 {
		return body, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, &ValidationError{Model: m.Name, Message: "a record must encode as a JSON object"}
	}
	changed := false
	for _, k := range slices.Sorted(maps.Keys(m.Defaults)) {
		if isEmptyJSON(fields[k]) {
			v, err := json.Marshal(m.Defaults[k])
			if err != nil {
				return nil, err
			}
			if fields == nil {
				fields = map[string]json.RawMessage{}
			}
			fields[k] = v
			changed = true
		}
	}
	if err := checkRequired(m, fields, -1); err != nil {
		return nil, err
	}
	if err := checkReserved(m, fields, -1); err != nil {
		return nil, err
	}
	if !changed {
		return body, nil
	}
	return json.Marshal(fields)
}

// prepareUpdate refuses reserved values and drops a top-level _id.
func prepareUpdate(m *Model, body []byte) ([]byte, error) {
	if len(m.Reserved) == 0 && !bytes.Contains(body, []byte(`"_id"`)) {
		return body, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, &ValidationError{Model: m.Name, Message: "an update must encode as a JSON object of the fields to change"}
	}
	if err := checkReserved(m, fields, -1); err != nil {
		return nil, err
	}
	if _, ok := fields["_id"]; !ok {
		return body, nil
	}
	delete(fields, "_id")
	return json.Marshal(fields)
}

func checkRequired(m *Model, fields map[string]json.RawMessage, index int) error {
	for _, req := range m.Required {
		if err := checkOneOf(m, fields, index, []string{req}); err != nil {
			return err
		}
	}
	for _, alts := range m.RequiredOneOf {
		if err := checkOneOf(m, fields, index, alts); err != nil {
			return err
		}
	}
	return nil
}

// checkOneOf refuses fields that carry none of alts.
func checkOneOf(m *Model, fields map[string]json.RawMessage, index int, alts []string) error {
	for _, a := range alts {
		if !isEmptyJSON(fields[a]) {
			return nil
		}
	}
	msg := fmt.Sprintf("%q is required", alts[0])
	if len(alts) > 1 {
		msg = fmt.Sprintf("one of %s is required", strings.Join(quoteAll(alts), ", "))
	}
	if index >= 0 {
		msg = fmt.Sprintf("item %d: %s", index, msg)
	}
	msg += m.requiredHint
	return &ValidationError{Model: m.Name, Field: alts[0], Message: msg}
}

func checkReserved(m *Model, fields map[string]json.RawMessage, index int) error {
	for _, k := range slices.Sorted(maps.Keys(m.Reserved)) {
		raw, ok := fields[k]
		if !ok {
			continue
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		if slices.Contains(m.Reserved[k], strings.ToLower(strings.TrimSpace(v))) {
			msg := fmt.Sprintf("%s %q is reserved by Planhat (%s) and cannot be created over the API; use \"note\" or a custom type defined in Planhat", k, v, strings.Join(m.Reserved[k], ", "))
			if index >= 0 {
				msg = fmt.Sprintf("item %d: %s", index, msg)
			}
			return &ValidationError{Model: m.Name, Field: k, Message: msg}
		}
	}
	return nil
}

// isEmptyJSON treats absent, null, "", [] and {} as missing.
func isEmptyJSON(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "", "null", `""`, "[]", "{}":
		return true
	}
	return false
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strconv.Quote(v)
	}
	return out
}
