package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/internal/outboxadmin"
	"github.com/planbridge/planbridge/store"
)

// DefaultAdminMaxBodyBytes bounds admin request bodies unless AdminOptions
// say otherwise: a selection of ids, not data.
const DefaultAdminMaxBodyBytes = 1 << 20

// MaxAdminListLimit caps one page of GET /v1/admin/outbox/items.
const MaxAdminListLimit = 1000

// AdminOptions configure the admin door.
type AdminOptions struct {
	// MaxBodyBytes bounds POST bodies; 0 means DefaultAdminMaxBodyBytes.
	MaxBodyBytes int64
	// Now is the clock for ages in filters and answers; nil means time.Now.
	Now func() time.Time
	// Logger receives store failures (answered as internal); nil discards.
	Logger *slog.Logger
}

// AdminDoor serves the operator's view of the outbox under
// /v1/admin/outbox, behind the API keys: statistics, items, and retrying or
// discarding a selection of them.
func AdminDoor(st store.Store, opts AdminOptions) Door {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultAdminMaxBodyBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &adminDoor{st: st, opts: opts}
	return Door{
		Name: "admin",
		Hint: "The admin API is under /v1/admin/outbox (GET for statistics, GET /v1/admin/outbox/items to list)",
		Routes: []Route{
			{Pattern: "GET /v1/admin/outbox", Handler: http.HandlerFunc(d.stats), NeedsAPIKey: true},
			{Pattern: "GET /v1/admin/outbox/items", Handler: http.HandlerFunc(d.list), NeedsAPIKey: true},
			{Pattern: "GET /v1/admin/outbox/items/{id}", Handler: http.HandlerFunc(d.item), NeedsAPIKey: true},
			{Pattern: "POST /v1/admin/outbox/retry", Handler: d.change("retry"), NeedsAPIKey: true, MaxBodyBytes: opts.MaxBodyBytes},
			{Pattern: "POST /v1/admin/outbox/discard", Handler: d.change("discard"), NeedsAPIKey: true, MaxBodyBytes: opts.MaxBodyBytes},
		},
	}
}

type adminDoor struct {
	st   store.Store
	opts AdminOptions
}

// storeFailed answers a store error: a canceled request as canceled, the
// rest as internal with the cause kept in the log under the request id.
func (d *adminDoor) storeFailed(w http.ResponseWriter, r *http.Request, doing string, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		WriteError(w, r, actions.CodeCanceled, "The request was canceled before the store answered "+doing+"; retry it.")
		return
	}
	d.opts.Logger.Error("admin: store failed", "request_id", RequestID(r.Context()), "doing", doing, "error", err.Error())
	WriteError(w, r, actions.CodeInternal, "The store failed while "+doing+"; retry, and if it persists give the operator the request id.")
}

func (d *adminDoor) stats(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		WriteError(w, r, actions.CodeInvalidInput, "GET /v1/admin/outbox takes no query parameters; use GET /v1/admin/outbox/items to select items.")
		return
	}
	s, err := d.st.Stats(r.Context())
	if err != nil {
		d.storeFailed(w, r, "reading the statistics", err)
		return
	}
	writeJSON(w, http.StatusOK, outboxadmin.NewStats(s, d.opts.Now()))
}

// listParams are the query parameters of GET /v1/admin/outbox/items.
var listParams = []string{"state", "kind", "dest", "key", "before", "after", "afterId", "limit"}

// adminList is the answer of GET /v1/admin/outbox/items; NextAfterID, when
// set, is the afterId of the next page.
type adminList struct {
	Items       []outboxadmin.Item `json:"items"`
	NextAfterID int64              `json:"nextAfterId,omitempty"`
}

func (d *adminDoor) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for name := range q {
		if !slices.Contains(listParams, name) {
			WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("Unknown query parameter %q; GET /v1/admin/outbox/items takes %s.", truncate(name, 40), strings.Join(listParams, ", ")))
			return
		}
	}
	for _, name := range listParams[1:] {
		if len(q[name]) > 1 {
			WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("The query parameter %s is given %d times; give it once (only state repeats).", name, len(q[name])))
			return
		}
	}
	spec := outboxadmin.FilterSpec{States: q["state"], Kind: q.Get("kind"), Dest: q.Get("dest"), Key: q.Get("key"), Before: q.Get("before"), After: q.Get("after")}
	f, err := spec.Filter(d.opts.Now())
	if err != nil {
		WriteError(w, r, actions.CodeInvalidInput, "The query parameter "+fieldMessage(err, "")+".")
		return
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxAdminListLimit {
			WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("The query parameter limit must be a whole number from 1 to %d, not %q.", MaxAdminListLimit, truncate(v, 40)))
			return
		}
		f.Limit = n
	}
	if v := q.Get("afterId"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("The query parameter afterId must be an item id (a whole number, 0 or more), not %q; use the nextAfterId of the previous page.", truncate(v, 40)))
			return
		}
		f.AfterID = n
	}
	items, err := d.st.List(r.Context(), f)
	if err != nil {
		d.storeFailed(w, r, "listing items", err)
		return
	}
	out := adminList{Items: outboxadmin.NewItems(items)}
	if len(items) == f.Limit && len(items) > 0 {
		out.NextAfterID = items[len(items)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (d *adminDoor) item(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("%q is not an item id; ids are whole numbers from 1 (GET /v1/admin/outbox/items lists them).", truncate(raw, 40)))
		return
	}
	it, err := d.st.Item(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		WriteError(w, r, actions.CodeNotFound, fmt.Sprintf("The outbox has no item %d (completed and discarded items are pruned after a while); GET /v1/admin/outbox/items lists the others.", id))
		return
	}
	if err != nil {
		d.storeFailed(w, r, "reading the item", err)
		return
	}
	log, err := d.st.Attempts(r.Context(), id)
	if err != nil {
		d.storeFailed(w, r, "reading the item's attempts", err)
		return
	}
	writeJSON(w, http.StatusOK, adminItem{Item: outboxadmin.NewItem(it), AttemptLog: log})
}

// adminItem is the answer of GET /v1/admin/outbox/items/{id}: the item and
// every failed attempt's error, oldest first (the item keeps only the last).
type adminItem struct {
	outboxadmin.Item
	AttemptLog []store.Attempt `json:"attemptLog"`
}

// selection is the body of POST /v1/admin/outbox/retry and …/discard:
// exactly one of ids, filter and all.
type selection struct {
	IDs    []int64                 `json:"ids"`
	Filter *outboxadmin.FilterSpec `json:"filter"`
	All    bool                    `json:"all"`
}

// changed is the answer of retry and discard.
type changed struct {
	Changed int `json:"changed"`
}

func (d *adminDoor) change(op string) http.Handler {
	example := `{"ids":[1,2]}, {"filter":{"states":["dead"],"kind":"planhat.conversation"}} or {"all":true}`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sel selection
		if be := decodeAdminBody(r, &sel, example); be != nil {
			WriteError(w, r, be.Code, be.Message)
			return
		}
		chosen := 0
		if sel.IDs != nil {
			chosen++
		}
		if sel.Filter != nil {
			chosen++
		}
		if sel.All {
			chosen++
		}
		if chosen != 1 {
			WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("Select the items to %s with exactly one of ids, filter and all, e.g. %s.", op, example))
			return
		}
		var f store.Filter
		switch {
		case sel.IDs != nil:
			if len(sel.IDs) == 0 {
				WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("ids is empty, so nothing would %s; list the item ids, or send {\"all\":true} to %s every item.", op, op))
				return
			}
			for _, id := range sel.IDs {
				if id < 1 {
					WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("ids holds %d, which is not an item id; ids are whole numbers from 1.", id))
					return
				}
			}
			f.IDs = sel.IDs
		case sel.Filter != nil:
			if sel.Filter.IsZero() {
				WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("The filter is empty, so it selects every item; to %s every item on purpose send {\"all\":true}.", op))
				return
			}
			var err error
			if f, err = sel.Filter.Filter(d.opts.Now()); err != nil {
				WriteError(w, r, actions.CodeInvalidInput, "The filter's "+fieldMessage(err, "filter")+".")
				return
			}
		}
		var n int
		var err error
		if op == "retry" {
			n, err = d.st.Retry(r.Context(), f, d.opts.Now())
		} else {
			n, err = d.st.Discard(r.Context(), f, d.opts.Now())
		}
		if err != nil {
			d.storeFailed(w, r, op+"ing items", err)
			return
		}
		writeJSON(w, http.StatusOK, changed{Changed: n})
	})
}

// fieldMessage words a filter error for the door: the field as its
// parameter or JSON name (states in a JSON filter), then what is wrong.
func fieldMessage(err error, where string) string {
	fe, ok := errors.AsType[*outboxadmin.FieldError](err)
	if !ok {
		return err.Error()
	}
	name := fe.Field
	if where == "filter" && name == "state" {
		name = "states"
	}
	return name + " is wrong: " + fe.Msg
}

// decodeAdminBody reads one JSON object into v, refusing unknown fields,
// with the admin API's wording; example shows what to send.
func decodeAdminBody(r *http.Request, v any, example string) *BodyError {
	ct := r.Header.Get("Content-Type")
	mt, _, perr := mime.ParseMediaType(ct)
	if perr != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &BodyError{Status: http.StatusUnsupportedMediaType, Code: actions.CodeUnsupportedMediaType,
			Message: "Send the selection as JSON with \"Content-Type: application/json\", e.g. " + example + "."}
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge(mbe.Limit)
		}
		return &BodyError{Status: http.StatusBadRequest, Code: actions.CodeMalformedJSON, Message: "The request body could not be read completely; retry the call."}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return &BodyError{Status: http.StatusBadRequest, Code: actions.CodeInvalidInput, Message: "The request body is empty; send the selection, e.g. " + example + "."}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute):
			field := ute.Field
			if field == "" {
				return &BodyError{Status: http.StatusBadRequest, Code: actions.CodeMalformedJSON, Message: "The request body must be one JSON object, e.g. " + example + "."}
			}
			return &BodyError{Status: http.StatusBadRequest, Code: actions.CodeInvalidInput, Message: fmt.Sprintf("%s must be %s, not a JSON %s; send e.g. %s.", truncate(field, 60), jsonTypeName(ute), ute.Value, example)}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return &BodyError{Status: http.StatusBadRequest, Code: actions.CodeInvalidInput, Message: fmt.Sprintf("Unknown field %q; a selection has ids, filter (states, kind, dest, key, before, after) or all, e.g. %s.", truncate(name, 40), example)}
		}
		return &BodyError{Status: http.StatusBadRequest, Code: actions.CodeMalformedJSON, Message: "The request body is not valid JSON (" + describeJSONError(err) + "); send one JSON object, e.g. " + example + "."}
	}
	if dec.More() {
		return &BodyError{Status: http.StatusBadRequest, Code: actions.CodeMalformedJSON, Message: "The request body holds more than one JSON value; send exactly one object, e.g. " + example + "."}
	}
	return nil
}

// jsonTypeName says in words what a mistyped field should hold.
func jsonTypeName(e *json.UnmarshalTypeError) string {
	if e.Field == "ids" || strings.HasPrefix(e.Field, "ids.") {
		return "an array of item ids (whole numbers)"
	}
	switch e.Type.Kind() {
	case reflect.Slice:
		return "an array of strings"
	case reflect.Int64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Pointer, reflect.Struct:
		return "an object"
	}
	return "another type"
}

// truncate bounds an echoed client value in a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
