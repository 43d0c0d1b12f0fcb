package planhatemu

import (
	"fmt"
	"net/http"
	"strings"
)

// MaxBulkItems is Planhat's cap on items per bulk upsert request.
const MaxBulkItems = 5000

// BulkResult is the body of a bulk upsert answer, in Planhat's key order.
type BulkResult struct {
	Created          int      `json:"created"`          // items inserted
	CreatedErrors    []any    `json:"createdErrors"`    // items that could not be inserted
	InsertsKeys      []record `json:"insertsKeys"`      // {_id, externalId?, sourceId?} per insert
	Updated          int      `json:"updated"`          // matched items that changed something
	UpdatedErrors    []any    `json:"updatedErrors"`    // matched (or unknown _id) items refused
	UpdatesKeys      []record `json:"updatesKeys"`      // keyables of updated items
	Nonupdates       int      `json:"nonupdates"`       // matched items that changed nothing
	Modified         []string `json:"modified"`         // _ids actually changed
	UpsertedIDs      []string `json:"upsertedIds"`      // _ids created or updated
	PermissionErrors []any    `json:"permissionErrors"` // items the token may not write
}

func newBulkResult() *BulkResult {
	return &BulkResult{CreatedErrors: []any{}, InsertsKeys: []record{}, UpdatedErrors: []any{}, UpdatesKeys: []record{},
		Modified: []string{}, UpsertedIDs: []string{}, PermissionErrors: []any{}}
}

// status maps the outcome to Planhat's codes: 200 all good, 206 partial,
// 400 nothing succeeded through payload errors, 403 only permission errors.
func (b *BulkResult) status() int {
	payloadErrs := len(b.CreatedErrors) + len(b.UpdatedErrors)
	errs := payloadErrs + len(b.PermissionErrors)
	ok := b.Created + b.Updated + b.Nonupdates
	switch {
	case errs == 0:
		return http.StatusOK
	case ok > 0:
		return http.StatusPartialContent
	case payloadErrs == 0:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// bulkError builds one error element: {"item":…,"error":…} or a string.
func (s *Server) bulkError(item any, msg string) any {
	if s.Switches().StringBulkErrors {
		return msg
	}
	return map[string]any{"item": item, "error": msg}
}

func (s *Server) handleBulk(w http.ResponseWriter, r *http.Request, spec *modelSpec) {
	v, err := readJSON(r)
	if err != nil {
		s.replyBodyError(w, err)
		return
	}
	items, ok := v.([]any)
	if !ok {
		if obj, isObj := v.(map[string]any); isObj && spec.path == "tickets" {
			items = []any{obj}
		} else {
			s.writeError(w, http.StatusBadRequest, fmt.Sprintf("PUT /%s takes a JSON array of items (bulk upsert); to update one record use PUT /%s/{id}", spec.path, spec.path))
			return
		}
	}
	if len(items) > MaxBulkItems {
		s.writeError(w, http.StatusBadRequest, fmt.Sprintf("bulk upsert takes at most %d items per request, got %d: split the payload and send the chunks one after another", MaxBulkItems, len(items)))
		return
	}
	res := s.bulkUpsert(spec, items)
	writeJSON(w, res.status(), res)
}

// matchOrder is the keyable precedence for spec.
func (s *Server) matchOrder(spec *modelSpec) []string {
	order := s.Switches().BulkMatchOrder
	if len(order) == 0 {
		order = []string{"_id", "sourceId", "externalId", "email"}
	}
	var out []string
	for _, k := range order {
		if k == "externalId" || k == "extId" {
			k = spec.extField
		}
		for _, have := range spec.keyables {
			if have == k {
				out = append(out, k)
			}
		}
	}
	return out
}

// itemCompany resolves the item's company reference without failing, for
// scoping externalId and email matches.
func (s *Server) itemCompanyLocked(spec *modelSpec, item record) string {
	if !spec.singleCompany() {
		return ""
	}
	v, ok := item[spec.companyField]
	if !ok {
		v, ok = companyExtRef(item)
	}
	if !ok {
		return ""
	}
	id, err := s.resolveCompanyLocked(v)
	if err != nil {
		return ""
	}
	return id
}

// matchLocked finds the stored record an item refers to. idMiss reports an
// _id that matched nothing (an error unless another keyable matched).
func (s *Server) matchLocked(spec *modelSpec, order []string, item record) (rec record, key string, idMiss bool) {
	col := s.cols[spec.collection]
	var company string
	companyDone := false
	scoped := func(ids []string) record {
		if !companyDone {
			company, companyDone = s.itemCompanyLocked(spec, item), true
		}
		var found []record
		for _, id := range ids {
			r := col.byID[id]
			if r == nil || !inView(spec, r) {
				continue
			}
			if company != "" && companyKey(spec, r) != company {
				continue
			}
			found = append(found, r)
		}
		if len(found) == 1 {
			return found[0]
		}
		for _, r := range found {
			if r["primary"] == true {
				return r
			}
		}
		return nil
	}
	for _, k := range order {
		v := str(item, k)
		if v == "" {
			continue
		}
		switch k {
		case "_id":
			if r := col.byID[strings.ToLower(v)]; r != nil && inView(spec, r) {
				return r, k, false
			}
			idMiss = true
		case "sourceId":
			if id, ok := col.bySrc[v]; ok {
				if r := col.byID[id]; r != nil && inView(spec, r) {
					return r, k, false
				}
			}
		case "email":
			if r := scoped(col.byEmail[strings.ToLower(v)]); r != nil {
				return r, k, false
			}
		default: // externalId / extId
			if r := scoped(col.byExt[v]); r != nil {
				return r, k, false
			}
		}
	}
	return nil, "", idMiss
}

// payloadKeys lists the unique keyables an item claims, for duplicate
// detection inside one payload (email is not unique, so not listed).
func payloadKeys(spec *modelSpec, item record) []string {
	var keys []string
	if v := str(item, "_id"); v != "" {
		keys = append(keys, "_id "+strings.ToLower(v))
	}
	if v := str(item, "sourceId"); v != "" {
		keys = append(keys, "sourceId "+v)
	}
	if v := str(item, spec.extField); v != "" {
		scope := ""
		if spec.singleCompany() {
			scope = scalarString(item[spec.companyField]) + "|" + str(item, "companyExternalId")
		}
		keys = append(keys, spec.extField+" "+scope+" "+v)
	}
	return keys
}

func keysOf(spec *modelSpec, rec record, matched string) record {
	k := record{"_id": rec["_id"]}
	for _, f := range []string{spec.extField, "sourceId"} {
		if v, ok := rec[f]; ok && v != nil && v != "" {
			k[f] = v
		}
	}
	if matched == "email" {
		k["email"] = rec["email"]
	}
	return k
}

// bulkUpsert applies items in order under one write lock, so a bulk call
// is atomic with respect to other requests.
func (s *Server) bulkUpsert(spec *modelSpec, items []any) *BulkResult {
	res := newBulkResult()
	sw := s.Switches()
	order := s.matchOrder(spec)
	seen := make(map[string]bool, len(items))
	if sw.BulkDuplicatesFail {
		dup := map[string]bool{}
		for _, raw := range items {
			item, _ := raw.(map[string]any)
			for _, k := range payloadKeys(spec, item) {
				if dup[k] {
					res.CreatedErrors = append(res.CreatedErrors, s.bulkError(item, fmt.Sprintf("%s duplicated in the payload", strings.SplitN(k, " ", 2)[0])))
				}
				dup[k] = true
			}
		}
		if len(res.CreatedErrors) > 0 {
			return res
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	col := s.cols[spec.collection]
	// Matches are made against the records that existed before the
	// payload: an item repeating a keyable of an earlier item is a
	// duplicate, not an update of what that item just created.
	createdNow := map[string]bool{}
	for _, raw := range items {
		item, ok := raw.(map[string]any)
		if !ok {
			res.CreatedErrors = append(res.CreatedErrors, s.bulkError(raw, "item must be a JSON object"))
			continue
		}
		if msg := s.permitted(spec, item); msg != "" {
			res.PermissionErrors = append(res.PermissionErrors, s.bulkError(item, msg))
			continue
		}
		if spec.path == "tickets" && !present(item, "email") {
			continue // Planhat drops tickets without email silently.
		}
		existing, matchedKey, idMiss := s.matchLocked(spec, order, item)
		if existing != nil && createdNow[str(existing, "_id")] {
			existing = nil
		}
		dupMsg := ""
		for _, k := range payloadKeys(spec, item) {
			if seen[k] {
				dupMsg = fmt.Sprintf("%s duplicated in the payload", strings.SplitN(k, " ", 2)[0])
			}
			seen[k] = true
		}
		if existing == nil {
			if dupMsg != "" {
				res.CreatedErrors = append(res.CreatedErrors, s.bulkError(item, dupMsg))
				continue
			}
			if idMiss {
				res.UpdatedErrors = append(res.UpdatedErrors, s.bulkError(item, fmt.Sprintf("invalid id: no %s with _id %q", spec.path, str(item, "_id"))))
				continue
			}
			rec, oerr := s.newRecordLocked(spec, item)
			if oerr != nil {
				res.CreatedErrors = append(res.CreatedErrors, s.bulkError(item, oerr.msg))
				continue
			}
			if spec.path == "tickets" {
				s.ensureTicketEnduserLocked(rec)
			}
			col.insert(rec)
			createdNow[str(rec, "_id")] = true
			res.Created++
			res.InsertsKeys = append(res.InsertsKeys, keysOf(spec, rec, ""))
			res.UpsertedIDs = append(res.UpsertedIDs, str(rec, "_id"))
			continue
		}
		if dupMsg != "" {
			res.UpdatedErrors = append(res.UpdatedErrors, s.bulkError(item, dupMsg))
			continue
		}
		rec, changed, oerr := s.updateLocked(spec, existing, item)
		if oerr != nil {
			res.UpdatedErrors = append(res.UpdatedErrors, s.bulkError(item, oerr.msg))
			continue
		}
		col.replace(existing, rec)
		if !changed {
			res.Nonupdates++
			continue
		}
		res.Updated++
		id := str(rec, "_id")
		res.Modified = append(res.Modified, id)
		res.UpdatesKeys = append(res.UpdatesKeys, keysOf(spec, rec, matchedKey))
		res.UpsertedIDs = append(res.UpsertedIDs, id)
	}
	return res
}

// ensureTicketEnduserLocked auto-creates the enduser of a ticket's email
// when the company has none with it, as Planhat does.
func (s *Server) ensureTicketEnduserLocked(ticket record) {
	email := strings.ToLower(str(ticket, "email"))
	company := str(ticket, "companyId")
	if email == "" || company == "" {
		return
	}
	eus := s.cols["endusers"]
	for _, id := range eus.byEmail[email] {
		if eu := eus.byID[id]; eu != nil && str(eu, "companyId") == company {
			return
		}
	}
	eu := record{"email": str(ticket, "email"), "companyId": company, "companyName": ticket["companyName"]}
	if n := str(ticket, "name"); n != "" {
		eu["name"] = n
	}
	s.newEnduserLocked(eu)
}
