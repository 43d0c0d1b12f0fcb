package planhatemu

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// reservedQuery are list parameters with a meaning of their own; every other
// parameter filters by exact top-level field value.
var reservedQuery = map[string]bool{"limit": true, "offset": true, "sort": true, "select": true, "companyId": true, "c": true, "email": true}

// pageParams reads limit and offset with the model's default and maximum.
func (s *Server) pageParams(q url.Values, def, max int) (int, int, *opError) {
	limit, offset := def, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, badRequest("limit %q must be a non-negative integer", v)
		}
		if n > 0 {
			limit = n
		}
	}
	if max > 0 && limit > max {
		if s.Switches().RejectOverMaxLimit {
			return 0, 0, badRequest("limit %d is over the maximum of %d for this endpoint: page with limit/offset", limit, max)
		}
		limit = max
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, badRequest("offset %q must be a non-negative integer", v)
		}
		offset = n
	}
	return limit, offset, nil
}

// splitList splits a comma list, trimming spaces and dropping empties.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// companySetLocked resolves a comma list of company references (_id,
// extid-, srcid-) to a set of _ids, keeping a reference that resolves to no
// company lower-cased; list and metrics filters share it so they agree on
// what a company filter means. The set is never nil.
func (s *Server) companySetLocked(raw string) map[string]bool {
	set := map[string]bool{}
	companies := models["companies"]
	for _, ref := range splitList(raw) {
		if c := s.lookupLocked(companies, ref); c != nil {
			set[str(c, "_id")] = true
		} else {
			set[strings.ToLower(ref)] = true
		}
	}
	return set
}

// listQuery is a parsed list request.
type listQuery struct {
	limit, offset int
	sort          string
	desc          bool
	sel           []string
	companies     map[string]bool // nil: no company filter
	email         string
	fields        url.Values
}

func (s *Server) parseListQuery(spec *modelSpec, q url.Values) (*listQuery, *opError) {
	lq := &listQuery{fields: url.Values{}}
	var err *opError
	maxLimit := spec.maxLimit
	if m := s.Switches().MaxLimits[spec.path]; m > 0 {
		maxLimit = m
	}
	if lq.limit, lq.offset, err = s.pageParams(q, spec.defaultLimit, maxLimit); err != nil {
		return nil, err
	}
	lq.sort = strings.TrimSpace(q.Get("sort"))
	if strings.HasPrefix(lq.sort, "-") {
		lq.desc, lq.sort = true, lq.sort[1:]
	}
	if sel := splitList(q.Get("select")); len(sel) > 0 {
		lq.sel = append([]string{"_id"}, sel...)
	}
	if raw := cmp.Or(q.Get("companyId"), q.Get("c")); raw != "" && spec.companyField != "" {
		s.mu.RLock()
		lq.companies = s.companySetLocked(raw)
		s.mu.RUnlock()
	}
	if spec.path == "endusers" || spec.path == "users" {
		lq.email = strings.ToLower(strings.TrimSpace(q.Get("email")))
	}
	for k, v := range q {
		if !reservedQuery[k] && len(v) > 0 {
			lq.fields[k] = v
		}
	}
	return lq, nil
}

// matches applies the view, hidden-archive rule and filters.
func (lq *listQuery) matches(spec *modelSpec, rec record) bool {
	if !inView(spec, rec) {
		return false
	}
	if spec.path == "endusers" && rec["archived"] == true {
		return false
	}
	if lq.companies != nil {
		switch spec.companyField {
		case "companyIds":
			arr, _ := rec["companyIds"].([]any)
			if !slices.ContainsFunc(arr, func(v any) bool { s, _ := v.(string); return lq.companies[s] }) {
				return false
			}
		default:
			if !lq.companies[str(rec, spec.companyField)] {
				return false
			}
		}
	}
	if lq.email != "" && strings.ToLower(str(rec, "email")) != lq.email {
		return false
	}
	for k, vs := range lq.fields {
		if !slices.Contains(vs, scalarString(rec[k])) {
			return false
		}
	}
	return true
}

// scalarString renders a scalar for query filtering.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, spec *modelSpec) {
	lq, oerr := s.parseListQuery(spec, r.URL.Query())
	if oerr != nil {
		s.writeError(w, oerr.status, oerr.msg)
		return
	}
	page := s.listLocked(spec, lq)
	out := make([]record, len(page))
	for i, rec := range page {
		out[i] = project(s.render(spec, rec, true), lq.sel)
	}
	writeJSON(w, http.StatusOK, out)
}

// listLocked returns one page of matching records; it takes the read lock.
func (s *Server) listLocked(spec *modelSpec, lq *listQuery) []record {
	s.mu.RLock()
	col := s.cols[spec.collection]
	var items []record
	skipped := 0
	col.each(func(rec record) bool {
		if !lq.matches(spec, rec) {
			return true
		}
		if lq.sort == "" {
			// Unsorted pages stop early: listing stays O(offset+limit).
			if skipped < lq.offset {
				skipped++
				return true
			}
			items = append(items, rec)
			return len(items) < lq.limit
		}
		items = append(items, rec)
		return true
	})
	s.mu.RUnlock()
	if lq.sort == "" {
		return items
	}
	sortRecords(items, lq.sort, lq.desc)
	if lq.offset >= len(items) {
		return nil
	}
	items = items[lq.offset:]
	if len(items) > lq.limit {
		items = items[:lq.limit]
	}
	return items
}

// sortRecords orders by field (dotted paths allowed), descending when desc,
// with _id ascending as the stable tie-break. Values of different types
// order as MongoDB does: missing/null, numbers, strings, objects, arrays,
// booleans.
func sortRecords(items []record, field string, desc bool) {
	// Extract each key once: n log n comparisons must not walk paths.
	type keyed struct {
		rec record
		key any
		id  string
	}
	ks := make([]keyed, len(items))
	for i, rec := range items {
		ks[i] = keyed{rec, getPath(rec, field), str(rec, "_id")}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		c := compareValues(a.key, b.key)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for i := range ks {
		items[i] = ks[i].rec
	}
}

func getPath(rec record, path string) any {
	var cur any = rec
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func typeRank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case json.Number, float64, int:
		return 1
	case string:
		return 2
	case map[string]any:
		return 3
	case []any:
		return 4
	case bool:
		return 5
	}
	return 6
}

func compareValues(a, b any) int {
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	switch ra {
	case 1:
		fa, _ := toFloat(a)
		fb, _ := toFloat(b)
		return cmp.Compare(fa, fb)
	case 2:
		return strings.Compare(a.(string), b.(string))
	case 5:
		ba, bb := a.(bool), b.(bool)
		switch {
		case ba == bb:
			return 0
		case !ba:
			return -1
		}
		return 1
	}
	return 0
}

// project keeps the selected fields (and always _id); dotted names keep
// nested values.
func project(rec record, sel []string) record {
	if len(sel) == 0 {
		return rec
	}
	out := record{}
	for _, f := range sel {
		top, rest, nested := strings.Cut(f, ".")
		v, ok := rec[top]
		if !ok {
			continue
		}
		if !nested {
			out[top] = v
			continue
		}
		if inner, ok := v.(map[string]any); ok {
			sub, _ := out[top].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
			}
			if x, ok := inner[rest]; ok {
				sub[rest] = x
			}
			out[top] = sub
		}
	}
	return out
}

// render applies the output switches (list-shape owners, data quirks) to a
// copy of rec; without any it returns rec itself.
func (s *Server) render(spec *modelSpec, rec record, list bool) record {
	sw := s.Switches()
	owners := list && sw.ListShapeOwners
	if !owners && !sw.CommaStringLists && !sw.EmptyStringBooleans && !sw.NumbersForStrings && !sw.ConversationEnduserIDs {
		return rec
	}
	out := clone(rec)
	if owners {
		s.mu.RLock()
		for _, f := range []string{"owner", "coOwner"} {
			if id, ok := out[f].(string); ok && id != "" {
				nick := ""
				if u := s.cols["users"].byID[strings.ToLower(id)]; u != nil {
					nick = str(u, "nickName")
				} else if id == str(s.apiUser, "_id") {
					nick = str(s.apiUser, "nickName")
				}
				out[f] = map[string]any{"_id": id, "nickName": nick}
			}
		}
		s.mu.RUnlock()
	}
	if sw.CommaStringLists {
		for _, f := range []string{"orgPath", "domains"} {
			if arr, ok := out[f].([]any); ok {
				parts := make([]string, 0, len(arr))
				for _, v := range arr {
					parts = append(parts, scalarString(v))
				}
				out[f] = "," + strings.Join(parts, ",") + ","
			}
		}
	}
	if sw.EmptyStringBooleans {
		for k, v := range out {
			if v == false {
				out[k] = ""
			}
		}
	}
	if sw.NumbersForStrings {
		for _, f := range []string{"beatTrend", "experience", "orgUnits"} {
			if v, ok := out[f].(string); ok {
				if _, err := strconv.ParseFloat(v, 64); err == nil {
					out[f] = json.Number(v)
				}
			}
		}
	}
	if sw.ConversationEnduserIDs && spec.collection == "conversations" {
		if arr, ok := out["endusers"].([]any); ok {
			ids := make([]any, 0, len(arr))
			for _, e := range arr {
				if m, ok := e.(map[string]any); ok {
					ids = append(ids, m["id"])
				} else {
					ids = append(ids, e)
				}
			}
			out["endusers"] = ids
		}
	}
	return out
}

// handleLeanCompanies answers GET /leancompanies: {_id,name,externalId,
// sourceId,slug} for every company, filtered by externalId, sourceId and
// status (comma lists), without the usual 5,000 cap.
func (s *Server) handleLeanCompanies(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, oerr := s.pageParams(q, 0, 0)
	if oerr != nil {
		s.writeError(w, oerr.status, oerr.msg)
		return
	}
	filter := map[string][]string{}
	for _, f := range []string{"externalId", "sourceId", "status"} {
		if v := splitList(q.Get(f)); len(v) > 0 {
			filter[f] = v
		}
	}
	out := []record{}
	skipped := 0
	s.mu.RLock()
	s.cols["companies"].each(func(rec record) bool {
		for f, vs := range filter {
			if !slices.Contains(vs, str(rec, f)) {
				return true
			}
		}
		if skipped < offset {
			skipped++
			return true
		}
		lean := record{"_id": rec["_id"], "name": rec["name"]}
		for _, f := range []string{"externalId", "sourceId", "slug"} {
			if v, ok := rec[f]; ok {
				lean[f] = v
			}
		}
		out = append(out, lean)
		return limit == 0 || len(out) < limit
	})
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}
