package planhatemu

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// opError is a refused write: the message for the client and its status.
type opError struct {
	status int
	msg    string
}

func badRequest(format string, args ...any) *opError {
	return &opError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// inView reports whether rec belongs to the model (views filter the shared
// conversations collection by type).
func inView(spec *modelSpec, rec record) bool {
	return spec.typeView == "" || str(rec, "type") == spec.typeView
}

// lookupLocked resolves a path id (24-hex _id, extid-x or srcid-x).
// Callers hold s.mu.
func (s *Server) lookupLocked(spec *modelSpec, key string) record {
	col := s.cols[spec.collection]
	var rec record
	switch {
	case strings.HasPrefix(key, "extid-"):
		for _, id := range col.byExt[strings.TrimPrefix(key, "extid-")] {
			if r := col.byID[id]; r != nil && inView(spec, r) {
				rec = r
				break
			}
		}
	case strings.HasPrefix(key, "srcid-"):
		if id, ok := col.bySrc[strings.TrimPrefix(key, "srcid-")]; ok {
			rec = col.byID[id]
		}
	default:
		rec = col.byID[strings.ToLower(key)]
	}
	if rec == nil || !inView(spec, rec) {
		return nil
	}
	return rec
}

// resolveCompanyLocked turns a company reference (24-hex, extid-, srcid-)
// into an existing company _id.
func (s *Server) resolveCompanyLocked(v any) (string, *opError) {
	ref, ok := v.(string)
	if !ok {
		return "", badRequest("company reference %v must be a string id, extid-<externalId> or srcid-<sourceId>", v)
	}
	companies := models["companies"]
	if !isObjectID(ref) && !strings.HasPrefix(ref, "extid-") && !strings.HasPrefix(ref, "srcid-") {
		return "", badRequest("invalid company id %q: use a 24-hex _id, extid-<externalId> or srcid-<sourceId>", ref)
	}
	rec := s.lookupLocked(companies, ref)
	if rec == nil {
		return "", badRequest("company %q not found: create the company first or fix the reference", ref)
	}
	return str(rec, "_id"), nil
}

// resolveRefsLocked rewrites company references in rec (companyId, cId,
// companyIds, companyExternalId) to _ids and fills companyName/cName.
// creating enables the enduser auto-assignment by email domain.
func (s *Server) resolveRefsLocked(spec *modelSpec, rec record, creating bool) *opError {
	switch {
	case spec.singleCompany():
		f := spec.companyField
		if ref, ok := companyExtRef(rec); ok && !present(rec, f) {
			rec[f] = ref
		}
		if !present(rec, f) && creating && (spec.path == "endusers" || spec.path == "tickets") {
			if _, at, ok := strings.Cut(str(rec, "email"), "@"); ok {
				if id, ok := s.cols["companies"].byDomain[strings.ToLower(at)]; ok {
					rec[f] = id
				}
			}
		}
		if present(rec, f) {
			id, err := s.resolveCompanyLocked(rec[f])
			if err != nil {
				return err
			}
			rec[f] = id
			name := "companyName"
			if f == "cId" {
				name = "cName"
			}
			if c := s.cols["companies"].byID[id]; c != nil {
				rec[name] = c["name"]
			}
		}
	case spec.companyField == "companyIds":
		if arr, ok := rec["companyIds"].([]any); ok {
			out := make([]any, 0, len(arr))
			for _, v := range arr {
				id, err := s.resolveCompanyLocked(v)
				if err != nil {
					return err
				}
				out = append(out, id)
			}
			rec["companyIds"] = out
		}
	}
	return nil
}

// companyKey scopes externalId uniqueness: per company, or global for
// companies and models without a single company reference.
func companyKey(spec *modelSpec, rec record) string {
	if spec.singleCompany() {
		return str(rec, spec.companyField)
	}
	return ""
}

// uniqueLocked enforces sourceId (per model) and externalId (per company)
// uniqueness for rec, ignoring the record itself.
func (s *Server) uniqueLocked(spec *modelSpec, rec record) *opError {
	col := s.cols[spec.collection]
	self := str(rec, "_id")
	if src := str(rec, "sourceId"); src != "" {
		if id, ok := col.bySrc[src]; ok && id != self {
			return badRequest("sourceId %q duplicated: another record in %s already has it", src, spec.path)
		}
	}
	if ext := str(rec, spec.extField); ext != "" {
		key := companyKey(spec, rec)
		for _, id := range col.byExt[ext] {
			if id == self {
				continue
			}
			if other := col.byID[id]; other != nil && companyKey(spec, other) == key {
				if key == "" { // unique across the collection, e.g. companies
					return badRequest("%s %q duplicated: another record in %s already has it", spec.extField, ext, spec.path)
				}
				return badRequest("%s %q duplicated: another %s of the same company already has it", spec.extField, ext, spec.path)
			}
		}
	}
	return nil
}

// permittedLocked applies DeniedModels/DeniedFields.
func (s *Server) permitted(spec *modelSpec, item record) string {
	sw := s.Switches()
	if slices.Contains(sw.DeniedModels, spec.path) {
		return fmt.Sprintf("permission denied: the token may not write %s", spec.path)
	}
	for _, f := range sw.DeniedFields[spec.path] {
		if _, ok := item[f]; ok {
			return fmt.Sprintf("permission denied: the token may not write %s.%s", spec.path, f)
		}
	}
	return ""
}

// newRecordLocked validates body and builds a stored record for a create.
func (s *Server) newRecordLocked(spec *modelSpec, body record) (record, *opError) {
	rec := clone(body)
	delete(rec, "_id")
	if spec.typeView != "" {
		rec["type"] = spec.typeView
	}
	if err := s.resolveRefsLocked(spec, rec, true); err != nil {
		return nil, err
	}
	if spec.validate != nil {
		if msg := spec.validate(rec, false); msg != "" {
			return nil, badRequest("%s: %s", msg, requiredHint(spec))
		}
	}
	rec["_id"] = s.newID()
	if err := s.uniqueLocked(spec, rec); err != nil {
		return nil, err
	}
	s.defaultsLocked(spec, rec)
	return rec, nil
}

func requiredHint(spec *modelSpec) string {
	return fmt.Sprintf("check the required fields of %s in Planhat's API reference", spec.path)
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// snippet is the plain-text preview of an HTML description, computed the
// same way on create and update.
func snippet(description string) string {
	return strings.TrimSpace(tagRE.ReplaceAllString(description, ""))
}

// defaultsLocked fills the autogenerated fields a fresh record carries.
func (s *Server) defaultsLocked(spec *modelSpec, rec record) {
	now := isoTime(s.cfg.now())
	if !present(rec, "createDate") {
		rec["createDate"] = now
	}
	rec["updatedAt"] = now
	switch spec.collection {
	case "companies":
		if !present(rec, "slug") {
			rec["slug"] = slugify(str(rec, "name"))
		}
		setDefault(rec, "status", "prospect")
	case "endusers":
		if !present(rec, "name") {
			if n := strings.TrimSpace(str(rec, "firstName") + " " + str(rec, "lastName")); n != "" {
				rec["name"] = n
			}
		}
		setDefault(rec, "archived", false)
		setDefault(rec, "featured", false)
		setDefault(rec, "primary", false)
	case "tasks":
		setDefault(rec, "status", "todo")
	case "conversations":
		s.conversationDefaultsLocked(rec)
	}
}

// newEnduserLocked stores eu as a fresh end user, with a new _id and the
// defaults a created one gets, so auto-created end users match POSTed ones.
func (s *Server) newEnduserLocked(eu record) string {
	eu["_id"] = s.newID()
	s.defaultsLocked(models["endusers"], eu)
	s.cols["endusers"].insert(eu)
	return str(eu, "_id")
}

func setDefault(rec record, k string, v any) {
	if _, ok := rec[k]; !ok {
		rec[k] = v
	}
}

func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// conversationDefaultsLocked reproduces the create response of Planhat's
// conversation docs: flags, empty arrays, populated users/endusers, snippet
// and note, and the API user as owner.
func (s *Server) conversationDefaultsLocked(rec record) {
	t := str(rec, "type")
	if t == "" || !s.convTypes[t] {
		rec["type"] = "note"
	}
	for k, v := range map[string]any{"starred": false, "pinned": false, "isOpen": false, "waitsToBeFiltered": true, "archived": false} {
		setDefault(rec, k, v)
	}
	for _, k := range []string{"autoTags", "activityTags", "emailTemplateIds", "tags", "timeBucket", "sender", "history", "followers"} {
		setDefault(rec, k, []any{})
	}
	setDefault(rec, "__v", 0)
	s.conversationPeopleLocked(rec)
	if d := str(rec, "description"); d != "" {
		plain := snippet(d)
		setDefault(rec, "snippet", plain)
		if sub := str(rec, "subject"); sub != "" {
			setDefault(rec, "note", sub+": "+plain)
		}
	}
	delete(rec, "useSubject")
	delete(rec, "ownerId")
	setDefault(rec, "owner", s.apiUser["_id"])
	setDefault(rec, "userId", s.apiUser["_id"])
	setDefault(rec, "nickName", s.apiUser["nickName"])
}

// conversationPeopleLocked turns users and endusers given as ids or {id}
// into Planhat's {id,name,isOwner} and {id,name} objects.
func (s *Server) conversationPeopleLocked(rec record) {
	ownerID := str(rec, "ownerId")
	if users, ok := rec["users"].([]any); ok {
		out := make([]any, 0, len(users))
		for i, u := range users {
			um, ok := personRef(u)
			if !ok {
				continue
			}
			id := str(um, "id")
			if _, has := um["name"]; !has {
				if team := s.cols["users"].byID[strings.ToLower(id)]; team != nil {
					um["name"] = cmp.Or(str(team, "nickName"), str(team, "firstName"), str(team, "name"))
				}
			}
			if _, has := um["isOwner"]; !has {
				um["isOwner"] = id == ownerID || ownerID == "" && i == 0
			}
			out = append(out, um)
		}
		rec["users"] = out
	}
	if eus, ok := rec["endusers"].([]any); ok {
		out := make([]any, 0, len(eus))
		for _, e := range eus {
			em, ok := personRef(e)
			if !ok {
				continue
			}
			if _, has := em["name"]; !has {
				if eu := s.cols["endusers"].byID[strings.ToLower(str(em, "id"))]; eu != nil {
					em["name"] = cmp.Or(str(eu, "name"), strings.TrimSpace(str(eu, "firstName")+" "+str(eu, "lastName")), str(eu, "email"))
				}
			}
			out = append(out, em)
		}
		rec["endusers"] = out
	}
}

// personRef copies one element of a users or endusers list, a bare id
// becoming {id}; it reports false for anything else, which is dropped.
func personRef(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return clone(x), true
	case string:
		return map[string]any{"id": x}, true
	}
	return nil, false
}

// updateLocked merges patch into old (PUT is partial). It reports whether
// anything changed; the result is a new record.
func (s *Server) updateLocked(spec *modelSpec, old, patch record) (record, bool, *opError) {
	patch = clone(patch)
	if v, ok := patch["_id"]; ok {
		if id, _ := v.(string); !strings.EqualFold(id, str(old, "_id")) {
			return nil, false, badRequest("_id cannot be changed: leave it out of the update body")
		}
		delete(patch, "_id")
	}
	if spec.typeView != "" {
		delete(patch, "type")
	}
	if spec.validate != nil {
		if msg := spec.validate(patch, true); msg != "" {
			return nil, false, badRequest("%s", msg)
		}
	}
	if err := s.resolveRefsLocked(spec, patch, false); err != nil {
		return nil, false, err
	}
	if spec.collection == "conversations" {
		if t, ok := patch["type"].(string); ok && !s.convTypes[t] {
			patch["type"] = "note"
		}
		s.conversationPeopleLocked(patch)
		delete(patch, "ownerId")
		delete(patch, "useSubject")
		if d, ok := patch["description"].(string); ok {
			if _, sent := patch["snippet"]; !sent {
				patch["snippet"] = snippet(d)
			}
		}
	}
	rec := clone(old)
	changed := false
	for k, v := range patch {
		if k == "custom" && !s.Switches().ReplaceCustomOnUpdate {
			if pm, ok := v.(map[string]any); ok {
				merged := map[string]any{}
				if om, ok := old["custom"].(map[string]any); ok {
					for ck, cv := range om {
						merged[ck] = cv
					}
				}
				for ck, cv := range pm {
					merged[ck] = cv
				}
				v = merged
			}
		}
		if !sameValue(old[k], v) {
			changed = true
		}
		rec[k] = v
	}
	if err := s.uniqueLocked(spec, rec); err != nil {
		return nil, false, err
	}
	if changed || s.Switches().TouchUpdatedAtOnNoop {
		rec["updatedAt"] = isoTime(s.cfg.now())
	}
	return rec, changed, nil
}

func (s *Server) handleGet(w http.ResponseWriter, _ *http.Request, spec *modelSpec, id string) {
	s.mu.RLock()
	rec := s.lookupLocked(spec, id)
	s.mu.RUnlock()
	if rec == nil {
		s.writeError(w, http.StatusNotFound, notFoundMsg(spec, id))
		return
	}
	writeJSON(w, http.StatusOK, s.render(spec, rec, false))
}

func notFoundMsg(spec *modelSpec, id string) string {
	return fmt.Sprintf("no %s record %q: check the _id, extid- or srcid- value", spec.path, id)
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, spec *modelSpec) {
	body, ok := s.readObject(w, r, fmt.Sprintf("POST /%s takes one JSON object; use PUT /%s with an array to upsert many", spec.path, spec.path))
	if !ok {
		return
	}
	s.createObject(w, spec, body)
}

// createObject validates and stores one new record and answers it.
func (s *Server) createObject(w http.ResponseWriter, spec *modelSpec, body map[string]any) {
	if msg := s.permitted(spec, body); msg != "" {
		s.writeError(w, http.StatusForbidden, msg)
		return
	}
	s.mu.Lock()
	rec, oerr := s.newRecordLocked(spec, body)
	if oerr == nil {
		s.cols[spec.collection].insert(rec)
	}
	s.mu.Unlock()
	if oerr != nil {
		s.writeError(w, oerr.status, oerr.msg)
		return
	}
	writeJSON(w, http.StatusOK, s.render(spec, rec, false))
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, spec *modelSpec, id string) {
	patch, ok := s.readObject(w, r, fmt.Sprintf("PUT /%s/{id} takes one JSON object with the fields to change", spec.path))
	if !ok {
		return
	}
	if msg := s.permitted(spec, patch); msg != "" {
		s.writeError(w, http.StatusForbidden, msg)
		return
	}
	s.mu.Lock()
	old := s.lookupLocked(spec, id)
	if old == nil {
		s.mu.Unlock()
		s.writeError(w, http.StatusNotFound, notFoundMsg(spec, id))
		return
	}
	rec, _, oerr := s.updateLocked(spec, old, patch)
	if oerr == nil {
		s.cols[spec.collection].replace(old, rec)
	}
	s.mu.Unlock()
	if oerr != nil {
		s.writeError(w, oerr.status, oerr.msg)
		return
	}
	writeJSON(w, http.StatusOK, s.render(spec, rec, false))
}

func (s *Server) handleDelete(w http.ResponseWriter, _ *http.Request, spec *modelSpec, id string) {
	sw := s.Switches()
	if !isObjectID(id) && !sw.DeleteByKeyable {
		s.writeError(w, http.StatusBadRequest, fmt.Sprintf("DELETE /%s needs the 24-hex _id, not %q: look the record up first", spec.path, id))
		return
	}
	if msg := s.permitted(spec, nil); msg != "" {
		s.writeError(w, http.StatusForbidden, msg)
		return
	}
	s.mu.Lock()
	rec := s.lookupLocked(spec, id)
	if rec != nil {
		s.cols[spec.collection].remove(str(rec, "_id"))
	}
	s.mu.Unlock()
	if rec == nil {
		if sw.DeleteMissingOK {
			writeJSON(w, http.StatusOK, deleteResult{N: 0, OK: 1, DeletedCount: 0})
			return
		}
		s.writeError(w, http.StatusNotFound, notFoundMsg(spec, id))
		return
	}
	if sw.DeleteReturnsObject {
		writeJSON(w, http.StatusOK, s.render(spec, rec, false))
		return
	}
	writeJSON(w, http.StatusOK, deleteResult{N: 1, OK: 1, DeletedCount: 1})
}

// deleteResult keeps Planhat's key order n, ok, deletedCount.
type deleteResult struct {
	N            int `json:"n"`
	OK           int `json:"ok"`
	DeletedCount int `json:"deletedCount"`
}

// handleDuplicateTimeEntries copies time entries by id (POST
// /timeentries/duplicate {ids:[…]}).
func (s *Server) handleDuplicateTimeEntries(w http.ResponseWriter, r *http.Request) {
	v, err := readJSON(r)
	if err != nil {
		s.replyBodyError(w, err)
		return
	}
	body, _ := v.(map[string]any)
	ids, ok := body["ids"].([]any)
	if !ok {
		s.writeError(w, http.StatusBadRequest, `send {"ids":["<timeentry _id>", …]}`)
		return
	}
	spec := models["timeentries"]
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, raw := range ids {
		id, _ := raw.(string)
		old := s.lookupLocked(spec, id)
		if old == nil {
			continue
		}
		rec := clone(old)
		rec["_id"] = s.newID()
		rec["createDate"] = isoTime(s.cfg.now())
		s.cols[spec.collection].insert(rec)
		out = append(out, rec)
	}
	writeJSON(w, http.StatusOK, out)
}

// sameValue compares two field values as JSON, the way they travel: seeded
// records hold Go ints where decoded bodies hold json.Number, and an item
// repeating a stored value must count as unchanged (nonupdates), as Planhat
// counts it.
func sameValue(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
