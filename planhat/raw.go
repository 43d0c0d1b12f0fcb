package planhat

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
)

// GetRaw reads one record like Get but returns Planhat's answer undecoded,
// checked to be one JSON object (or null when Planhat sent nothing), so
// callers that pass records through need not build and re-encode a map.
func (r *Resource[T]) GetRaw(ctx context.Context, id ID) (json.RawMessage, error) {
	if err := r.supportsOn(OpGet, "get", id); err != nil {
		return nil, err
	}
	req := &request{method: http.MethodGet, path: r.itemPath(id), retry: true}
	resp, err := r.c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.checkRaw(req, resp, '{', new(T))
}

// ListRaw reads one page like List but returns Planhat's answer undecoded,
// checked to be one JSON array (or null when Planhat sent nothing), so
// callers that pass records through need not decode every record.
func (r *Resource[T]) ListRaw(ctx context.Context, opts *ListOptions) (json.RawMessage, error) {
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
	req := &request{method: http.MethodGet, path: "/" + r.m.Path, query: opts.query(r.m, limit), retry: true}
	resp, err := r.c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.checkRaw(req, resp, '[', new([]T))
}

// checkRaw returns the answer's body when it is valid JSON opening with
// want, and null for an empty body or null; anything else fails with the
// very error decoding it into typed (as Get and List do) gives, so both
// paths report a bad answer alike.
func (r *Resource[T]) checkRaw(req *request, resp *response, want byte, typed any) (json.RawMessage, error) {
	body := bytes.TrimSpace(resp.body)
	if len(body) == 0 {
		return json.RawMessage("null"), nil
	}
	if (body[0] == want || string(body) == "null") && validJSON(body) {
		return json.RawMessage(body), nil
	}
	if err := r.c.decode(req, resp, typed); err != nil {
		return nil, err
	}
	// Decoding accepted what the check refused: a value json.Unmarshal
	// reads into T without being the expected JSON kind (T with its own
	// UnmarshalJSON); hand it over as sent.
	return json.RawMessage(body), nil
}
