package planhat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// BulkResult is the merged outcome of a bulk upsert: counts summed and lists concatenated
// over every chunk sent.
type BulkResult struct {
	// Created is the number of records inserted.
	Created int `json:"created"`
	// CreatedErrors are the items that could not be inserted.
	CreatedErrors []BulkItemError `json:"createdErrors"`
	// InsertsKeys identify the inserted records.
	InsertsKeys []BulkKey `json:"insertsKeys"`
	// Updated is the number of records changed.
	Updated int `json:"updated"`
	// UpdatedErrors are the items that matched a record but could not update it.
	UpdatedErrors []BulkItemError `json:"updatedErrors"`
	// UpdatesKeys identify the updated records.
	UpdatesKeys []BulkKey `json:"updatesKeys"`
	// NonUpdates is the number of matched records that did not change.
	NonUpdates int `json:"nonupdates"`
	// Modified lists the ids of records actually changed.
	Modified []string `json:"modified"`
	// UpsertedIDs lists the ids of records created or updated.
	UpsertedIDs []string `json:"upsertedIds"`
	// PermissionErrors are the items refused for lack of permission.
	PermissionErrors []BulkItemError `json:"permissionErrors"`
	// Chunks reports each request sent, in order.
	Chunks []BulkChunk `json:"-"`
}

// BulkChunk is one request of a chunked bulk upsert.
type BulkChunk struct {
	// First is the index of the chunk's first item in the caller's slice.
	First int
	// Items is the number of items in the chunk.
	Items int
	// Bytes is the size of the request body.
	Bytes int
	// StatusCode is Planhat's answer (200, 206, 400 or 403).
	StatusCode int
}

// UnmarshalJSON decodes one chunk's answer tolerantly (string or numeric counts, string or
// object errors, ids or objects in id lists).
func (r *BulkResult) UnmarshalJSON(b []byte) error {
	var w struct {
		Created          FlexNumber      `json:"created"`
		CreatedErrors    []BulkItemError `json:"createdErrors"`
		InsertsKeys      []BulkKey       `json:"insertsKeys"`
		Updated          FlexNumber      `json:"updated"`
		UpdatedErrors    []BulkItemError `json:"updatedErrors"`
		UpdatesKeys      []BulkKey       `json:"updatesKeys"`
		NonUpdates       FlexNumber      `json:"nonupdates"`
		Modified         FlexStrings     `json:"modified"`
		UpsertedIDs      FlexStrings     `json:"upsertedIds"`
		PermissionErrors []BulkItemError `json:"permissionErrors"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = BulkResult{
		Created: w.Created.Int(), CreatedErrors: w.CreatedErrors, InsertsKeys: w.InsertsKeys,
		Updated: w.Updated.Int(), UpdatedErrors: w.UpdatedErrors, UpdatesKeys: w.UpdatesKeys,
		NonUpdates: w.NonUpdates.Int(), Modified: w.Modified, UpsertedIDs: w.UpsertedIDs,
		PermissionErrors: w.PermissionErrors,
	}
	return nil
}

// HasErrors reports whether any item failed.
func (r *BulkResult) HasErrors() bool {
	return r.Failed() > 0
}

// Failed is the number of items that failed: created, updated and permission errors.
func (r *BulkResult) Failed() int {
	return len(r.CreatedErrors) + len(r.UpdatedErrors) + len(r.PermissionErrors)
}

// Succeeded is the number of items Planhat accepted: created, updated or left unchanged.
func (r *BulkResult) Succeeded() int {
	return r.Created + r.Updated + r.NonUpdates
}

func (r *BulkResult) merge(o *BulkResult) {
	r.Created += o.Created
	r.CreatedErrors = append(r.CreatedErrors, o.CreatedErrors...)
	r.InsertsKeys = append(r.InsertsKeys, o.InsertsKeys...)
	r.Updated += o.Updated
	r.UpdatedErrors = append(r.UpdatedErrors, o.UpdatedErrors...)
	r.UpdatesKeys = append(r.UpdatesKeys, o.UpdatesKeys...)
	r.NonUpdates += o.NonUpdates
	r.Modified = append(r.Modified, o.Modified...)
	r.UpsertedIDs = append(r.UpsertedIDs, o.UpsertedIDs...)
	r.PermissionErrors = append(r.PermissionErrors, o.PermissionErrors...)
}

// FirstError is the message of the first failed item, looking at created, updated and
// then permission errors, or "" when none failed.
func (r *BulkResult) FirstError() string {
	for _, l := range [][]BulkItemError{r.CreatedErrors, r.UpdatedErrors, r.PermissionErrors} {
		if len(l) > 0 {
			return l[0].Message
		}
	}
	return ""
}

// BulkItemError is one failed item. Planhat's element shape is undocumented: strings and
// {"item":…, "error":…} objects are both accepted, and the raw element is kept.
type BulkItemError struct {
	// Message is the error text.
	Message string
	// Item is the offending item, when Planhat echoed it.
	Item json.RawMessage
	// Raw is the element as received.
	Raw json.RawMessage
}

// UnmarshalJSON accepts a string or an object with error/message and item/data.
func (e *BulkItemError) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*e = BulkItemError{Raw: append(json.RawMessage(nil), b...)}
	if len(b) > 0 && b[0] == '{' {
		var o map[string]json.RawMessage
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		for _, k := range []string{"error", "message", "msg", "reason"} {
			if raw, ok := o[k]; ok {
				e.Message = rawText(raw)
				break
			}
		}
		for _, k := range []string{"item", "data", "object"} {
			if raw, ok := o[k]; ok {
				e.Item = raw
				break
			}
		}
		if e.Message == "" {
			e.Message = excerpt(b, 300)
		}
		return nil
	}
	e.Message = rawText(b)
	return nil
}

// MarshalJSON writes the element as received.
func (e BulkItemError) MarshalJSON() ([]byte, error) {
	if len(e.Raw) > 0 {
		return e.Raw, nil
	}
	return json.Marshal(map[string]any{"error": e.Message, "item": e.Item})
}

func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return excerpt(raw, 300)
}

// BulkKey identifies a record touched by a bulk upsert.
type BulkKey struct {
	// ID is the record's Planhat _id.
	ID string `json:"_id,omitempty"`
	// ExternalID is the externalId the item matched or carried.
	ExternalID string `json:"externalId,omitempty"`
	// SourceID is the sourceId the item matched or carried.
	SourceID string `json:"sourceId,omitempty"`
	// Extra keeps any other keyable Planhat reports (email, extId…).
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON accepts an object (keeping unknown keyables in Extra) or a bare id.
func (k *BulkKey) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '{' {
		var s FlexString
		if err := s.UnmarshalJSON(b); err != nil {
			return err
		}
		*k = BulkKey{ID: string(s)}
		return nil
	}
	type plain BulkKey
	return decodeWithExtra(b, (*plain)(k), &k.Extra)
}

// MarshalJSON writes the key with its extra members.
func (k BulkKey) MarshalJSON() ([]byte, error) {
	type plain BulkKey
	return encodeWithExtra(plain(k), k.Extra)
}

// BulkUpsert creates or updates any number of records with PUT /<model>: the items are split
// into chunks of at most 5,000 (and under the byte budget), sent one after another as
// Planhat advises, and their results merged. Items that fail inside Planhat come back as a
// *BulkError carrying the merged result; a transport or HTTP failure stops the run and is
// returned with the result of the chunks already sent. Chunks are retried only when every
// item carries a keyable (_id, externalId or sourceId), so a retry cannot insert twice.
// Items with a reserved value (a conversation type email, chat, ticket or call) are refused
// before anything is sent, even when they name an existing record, as Update refuses them:
// leave Type empty to keep a conversation's type.
func (r *Resource[T]) BulkUpsert(ctx context.Context, items []T) (*BulkResult, error) {
	if err := r.supports(OpBulk, "bulk upsert"); err != nil {
		return nil, err
	}
	raws := make([]json.RawMessage, len(items))
	for i := range items {
		b, err := json.Marshal(items[i])
		if err != nil {
			return nil, fmt.Errorf("planhat: encoding %s item %d: %w", r.m.Name, i, err)
		}
		raws[i] = b
	}
	return r.c.bulkUpsert(ctx, r.m, raws)
}

// bulkUpsert chunks, sends and merges already-encoded items.
func (c *Client) bulkUpsert(ctx context.Context, m *Model, raws []json.RawMessage) (*BulkResult, error) {
	res := &BulkResult{}
	if len(raws) == 0 {
		return res, nil
	}
	retrySafe := true
	for i, raw := range raws {
		if err := checkBulkItem(m, raw, i); err != nil {
			return nil, err
		}
		if retrySafe && !hasKeyable(m, raw) {
			retrySafe = false
		}
	}
	chunks, err := chunkItems(raws, c.chunkSize, c.maxBytes)
	if err != nil {
		return nil, &ValidationError{Model: m.Name, Message: err.Error()}
	}
	first := 0
	for ci, ch := range chunks {
		body := joinArray(ch)
		req := &request{method: http.MethodPut, path: "/" + m.Path, body: body, retry: retrySafe, bulk: true, items: len(ch),
			accept: func(s int) bool { return s == http.StatusBadRequest || s == http.StatusForbidden }}
		stopped := func(err error) error {
			return fmt.Errorf("planhat: bulk upsert of %s stopped at chunk %d of %d (items %d-%d): %w", m.Name, ci+1, len(chunks), first, first+len(ch)-1, err)
		}
		resp, err := c.do(ctx, req)
		if err != nil {
			return res, stopped(err)
		}
		if resp.status/100 != 2 && !looksLikeBulkResult(resp.body) {
			return res, stopped(newAPIError(req.method, req.safePath(), resp.status, resp.body, resp.rl))
		}
		var part BulkResult
		if err := json.Unmarshal(resp.body, &part); err != nil {
			return res, fmt.Errorf("planhat: bulk upsert of %s: chunk %d of %d was sent but its answer (status %d) is not a bulk result: %w", m.Name, ci+1, len(chunks), resp.status, err)
		}
		res.merge(&part)
		res.Chunks = append(res.Chunks, BulkChunk{First: first, Items: len(ch), Bytes: len(body), StatusCode: resp.status})
		first += len(ch)
	}
	if res.HasErrors() || slices.ContainsFunc(res.Chunks, func(ch BulkChunk) bool { return ch.StatusCode != http.StatusOK }) {
		return res, &BulkError{Model: m.Name, StatusCode: overallStatus(res), Result: res}
	}
	return res, nil
}

// overallStatus summarises a merged result the way Planhat summarises one request: 206 when
// something succeeded, otherwise 403 for permission errors alone and 400 for the rest.
func overallStatus(r *BulkResult) int {
	switch {
	case r.Succeeded() > 0:
		return http.StatusPartialContent
	case len(r.CreatedErrors)+len(r.UpdatedErrors) == 0:
		return http.StatusForbidden
	default:
		return http.StatusBadRequest
	}
}

func looksLikeBulkResult(body []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) != nil {
		return false
	}
	for _, k := range []string{"created", "createdErrors", "updatedErrors", "permissionErrors", "insertsKeys", "upsertedIds"} {
		if _, ok := probe[k]; ok {
			return true
		}
	}
	return false
}

// checkBulkItem enforces the model's per-item rules before anything is sent.
func checkBulkItem(m *Model, raw json.RawMessage, i int) error {
	if !m.RequiredOnBulk && len(m.Reserved) == 0 {
		if len(raw) == 0 || raw[0] != '{' {
			return &ValidationError{Model: m.Name, Message: fmt.Sprintf("item %d must encode as a JSON object", i)}
		}
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return &ValidationError{Model: m.Name, Message: fmt.Sprintf("item %d must encode as a JSON object", i)}
	}
	if m.RequiredOnBulk {
		if err := checkRequired(m, fields, i); err != nil {
			return err
		}
	}
	// Reserved values are refused on every item, keyable or not: whether an item updates a
	// record or creates one is only known once Planhat matches it, and an item whose
	// externalId or sourceId matches nothing is created, reserved type and all. Update
	// refuses the same values on records that certainly exist.
	return checkReserved(m, fields, i)
}

// hasKeyable reports whether an encoded item carries one of the model's unique keyables
// with a non-empty value.
func hasKeyable(m *Model, raw json.RawMessage) bool {
	found := false
	eachMember(raw, func(key, value []byte, escaped bool) bool {
		if escaped || !m.hasKeyable(string(key)) || isEmptyJSON(value) {
			return true
		}
		if value[0] == '"' {
			if s, err := unquote(value); err != nil || strings.TrimSpace(s) == "" {
				return true
			}
		}
		found = true
		return false
	})
	return found
}

// chunkItems groups items into arrays of at most n items and maxBytes bytes.
func chunkItems(raws []json.RawMessage, n, maxBytes int) ([][]json.RawMessage, error) {
	var chunks [][]json.RawMessage
	start, size := 0, 2
	for i, raw := range raws {
		if len(raw)+2 > maxBytes {
			return nil, fmt.Errorf("item %d is %d bytes, over the %d-byte request budget; trim its fields", i, len(raw), maxBytes)
		}
		add := len(raw)
		if i > start {
			add++ // comma
		}
		if i-start == n || size+add > maxBytes {
			chunks = append(chunks, raws[start:i])
			start, size, add = i, 2, len(raw)
		}
		size += add
	}
	return append(chunks, raws[start:]), nil
}

func joinArray(items []json.RawMessage) []byte {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}
