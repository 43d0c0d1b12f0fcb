package planhatemu

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Activity is one user-activity event the analytics host received.
type Activity struct {
	// Kind is "single" (/analytics/{tenant}), "bulk" (/analytics/bulk/{tenant}),
	// "csv" (/analytics/stream/csv/{tenant}) or "segment" (/dock/segment).
	Kind string `json:"kind"`
	// Event is the event as sent.
	Event map[string]any `json:"event"`
	// Ignored is set when the event has neither a user id nor an email,
	// which Planhat discards.
	Ignored bool `json:"ignored,omitempty"`
	// Received is when the emulator got it.
	Received time.Time `json:"received"`
	// EnduserID is the end user the event was attributed to ("" when the
	// user is unknown and no company was given, which Planhat discards).
	EnduserID string `json:"enduserId,omitempty"`
	// Created is set when the event auto-created that end user.
	Created bool `json:"created,omitempty"`
}

// activityEnduserLocked finds the event's end user by externalId or email,
// creating it under the event's company (companyExternalId, companyId, or
// cId in bulk) when unknown, as Planhat does.
func (s *Server) activityEnduserLocked(ev map[string]any, bulk bool) (string, bool) {
	ext := cmp.Or(str(ev, "externalId"), str(ev, "euExtId"))
	if bulk && ext == "" {
		ext = str(ev, "id")
	}
	email := str(ev, "email")
	eus := s.cols["endusers"]
	if ext != "" {
		if ids := eus.byExt[ext]; len(ids) > 0 {
			return ids[0], false
		}
	}
	if email != "" {
		if ids := eus.byEmail[strings.ToLower(email)]; len(ids) > 0 {
			return ids[0], false
		}
	}
	var ref any
	switch {
	case present(ev, "companyExternalId"):
		ref = "extid-" + str(ev, "companyExternalId")
	case bulk && present(ev, "cId"):
		ref = "extid-" + str(ev, "cId")
	case present(ev, "companyId"):
		ref = ev["companyId"]
	default:
		return "", false
	}
	company, err := s.resolveCompanyLocked(ref)
	if err != nil {
		return "", false
	}
	eu := record{"companyId": company, "companyName": s.cols["companies"].byID[company]["name"]}
	if ext != "" {
		eu["externalId"] = ext
	}
	if email != "" {
		eu["email"] = email
	}
	if n := str(ev, "name"); n != "" {
		eu["name"] = n
	}
	return s.newEnduserLocked(eu), true
}

// Activities returns the recorded user activities, oldest first.
func (s *Server) Activities() []Activity {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.activities)
}

// Metrics returns the accepted dimension data points, oldest first, in the
// shape GET /dimensiondata serves plus externalId.
func (s *Server) Metrics() []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]map[string]any, len(s.metrics))
	for i, m := range s.metrics {
		out[i] = clone(m)
	}
	return out
}

func (s *Server) tenantOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.Tenant)) == 1
}

func (s *Server) unknownTenant(w http.ResponseWriter, tenant string) {
	s.writeError(w, http.StatusNotFound, fmt.Sprintf("unknown tenant %q: use the tenant token (UUID) shown in Planhat's settings", tenant))
}

// handleTrack records /analytics/{tenant} (one object) and
// /analytics/bulk/{tenant} (an array); both always answer 200.
func (s *Server) handleTrack(w http.ResponseWriter, r *http.Request, tenant string, bulk bool) {
	if !s.tenantOK(tenant) {
		s.unknownTenant(w, tenant)
		return
	}
	v, err := readJSON(r)
	if err != nil {
		s.replyBodyError(w, err)
		return
	}
	var events []any
	kind := "single"
	if bulk {
		kind = "bulk"
		arr, ok := v.([]any)
		if !ok {
			s.writeError(w, http.StatusBadRequest, "POST /analytics/bulk/{tenant} takes a JSON array of events")
			return
		}
		events = arr
	} else {
		obj, ok := v.(map[string]any)
		if !ok {
			s.writeError(w, http.StatusBadRequest, "POST /analytics/{tenant} takes one JSON object; use /analytics/bulk/{tenant} for arrays")
			return
		}
		events = []any{obj}
	}
	now := s.cfg.now()
	s.mu.Lock()
	for _, e := range events {
		ev, ok := e.(map[string]any)
		if !ok {
			continue
		}
		ignored := !present(ev, "email") && !present(ev, "externalId") && !present(ev, "id") && !present(ev, "euExtId")
		act := Activity{Kind: kind, Event: ev, Ignored: ignored, Received: now}
		if !ignored {
			act.EnduserID, act.Created = s.activityEnduserLocked(ev, bulk)
		}
		s.activities = append(s.activities, act)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{})
}

// handleTrackCSV records the legacy CSV stream, PUT
// /analytics/stream/csv/{tenant}, whose header names the columns (cId, id,
// name, email, weight, action, date, count).
func (s *Server) handleTrackCSV(w http.ResponseWriter, r *http.Request, tenant string) {
	if !s.tenantOK(tenant) {
		s.unknownTenant(w, tenant)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.replyBodyError(w, &bodyError{http.StatusRequestEntityTooLarge, "request body too large: split the CSV into smaller requests"})
		return
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil || len(rows) == 0 {
		s.writeError(w, http.StatusBadRequest, "malformed CSV: send a header row (cId,id,name,email,weight,action,date,count) and one row per event")
		return
	}
	header := rows[0]
	now := s.cfg.now()
	s.mu.Lock()
	for _, row := range rows[1:] {
		ev := map[string]any{}
		for i, col := range header {
			if i < len(row) && row[i] != "" {
				ev[strings.TrimSpace(col)] = row[i]
			}
		}
		ignored := !present(ev, "email") && !present(ev, "id")
		act := Activity{Kind: "csv", Event: ev, Ignored: ignored, Received: now}
		if !ignored {
			act.EnduserID, act.Created = s.activityEnduserLocked(ev, true)
		}
		s.activities = append(s.activities, act)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{})
}

// handleSegment records Segment identify/track calls authenticated with
// Basic base64(tenant:).
func (s *Server) handleSegment(w http.ResponseWriter, r *http.Request) {
	user, ok := basicUser(r.Header.Get("Authorization"))
	if !ok || !s.tenantOK(user) {
		writeUnauthorized(w)
		return
	}
	v, err := readJSON(r)
	if err != nil {
		s.replyBodyError(w, err)
		return
	}
	events := oneOrMany(v)
	if obj, ok := v.(map[string]any); ok {
		if batch, ok := obj["batch"].([]any); ok {
			events = batch
		}
	}
	now := s.cfg.now()
	s.mu.Lock()
	for _, e := range events {
		if ev, ok := e.(map[string]any); ok {
			ignored := !present(ev, "userId") && !present(ev, "user_id") && !present(ev, "anonymousId")
			s.activities = append(s.activities, Activity{Kind: "segment", Event: ev, Ignored: ignored, Received: now})
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{})
}

var dimensionIDRE = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

var metricModels = map[string]string{"Company": "companies", "EndUser": "endusers", "Asset": "assets", "Project": "projects"}

// handleMetricsPush takes dimension data (one object or an array) and
// answers 200 {"processed":n,"errors":[{"item":…,"error":…}]}. It also
// serves the old main-host form POST /{tenant}/dimensiondata, whose items
// name companyExternalId or assetExtId instead of externalId.
func (s *Server) handleMetricsPush(w http.ResponseWriter, r *http.Request, tenant string) {
	if s.Switches().MetricsRequireAuth && !s.authorized(r) {
		writeUnauthorized(w)
		return
	}
	if !s.tenantOK(tenant) {
		s.unknownTenant(w, tenant)
		return
	}
	v, err := readJSON(r)
	if err != nil {
		s.replyBodyError(w, err)
		return
	}
	items := oneOrMany(v)
	processed := 0
	errs := []any{}
	now := s.cfg.now()
	s.mu.Lock()
	for _, raw := range items {
		item, ok := raw.(map[string]any)
		if !ok {
			errs = append(errs, map[string]any{"item": raw, "error": "item must be an object"})
			continue
		}
		m, msg := s.metricLocked(item, now)
		if msg != "" {
			errs = append(errs, map[string]any{"item": item, "error": msg})
			continue
		}
		s.metrics = append(s.metrics, m)
		processed++
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"processed": processed, "errors": errs})
}

// metricLocked validates one data point and builds the stored form.
func (s *Server) metricLocked(item record, now time.Time) (record, string) {
	dim := str(item, "dimensionId")
	if dim == "" {
		return nil, "dimensionId must be specified"
	}
	if !dimensionIDRE.MatchString(dim) {
		return nil, "dimensionId must not contain spaces or special characters"
	}
	if !present(item, "value") {
		return nil, "value must be specified"
	}
	if _, ok := toFloat(item["value"]); !ok {
		return nil, "value must be a number"
	}
	model := cmp.Or(str(item, "model"), "Company")
	ext := str(item, "externalId")
	if ext == "" && str(item, "assetExtId") != "" {
		ext, model = str(item, "assetExtId"), "Asset"
	}
	if ext == "" {
		ext = str(item, "companyExternalId")
	}
	if ext == "" {
		return nil, "externalId must be specified"
	}
	colName, ok := metricModels[model]
	if !ok {
		return nil, fmt.Sprintf("model %q must be one of Company, EndUser, Asset, Project", model)
	}
	at := now
	if d := str(item, "date"); d != "" {
		t, err := parseDate(d)
		if err != nil {
			return nil, fmt.Sprintf("date %q must be an ISO date", d)
		}
		at = t
	}
	m := record{"_id": s.newID(), "dimensionId": dim, "time": isoTime(at), "value": item["value"], "model": model, "externalId": ext}
	col := s.cols[colName]
	if ids := col.byExt[ext]; len(ids) > 0 {
		parent := col.byID[ids[0]]
		m["parentId"] = parent["_id"]
		if model == "Company" {
			m["companyId"], m["companyName"] = parent["_id"], parent["name"]
		} else if cid := str(parent, "companyId"); cid != "" {
			m["companyId"] = cid
			if c := s.cols["companies"].byID[cid]; c != nil {
				m["companyName"] = c["name"]
			}
		}
	}
	return m, ""
}

func parseDate(d string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, d); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO date: %q", d)
}

// handleDimensionRead answers GET /dimensiondata?cid=&dimid=&from=&to=
// (epoch days, inclusive) with limit/offset.
func (s *Server) handleDimensionRead(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, oerr := s.pageParams(q, 100, 10000)
	if oerr != nil {
		s.writeError(w, oerr.status, oerr.msg)
		return
	}
	days := func(name string) (int64, bool, *opError) {
		v := q.Get(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false, badRequest("%s %q must be an integer count of days since 1970-01-01", name, v)
		}
		return n, true, nil
	}
	from, hasFrom, e1 := days("from")
	to, hasTo, e2 := days("to")
	if e := cmpErr(e1, e2); e != nil {
		s.writeError(w, e.status, e.msg)
		return
	}
	dims := splitList(q.Get("dimid"))
	s.mu.RLock()
	defer s.mu.RUnlock()
	cids := s.companySetLocked(cmp.Or(q.Get("cid"), q.Get("cId")))
	out := []record{}
	skipped := 0
	for _, m := range s.metrics {
		if len(dims) > 0 && !slices.Contains(dims, str(m, "dimensionId")) {
			continue
		}
		if len(cids) > 0 && !cids[str(m, "companyId")] {
			continue
		}
		t, _ := parseDate(str(m, "time"))
		day := t.Unix() / 86400
		if hasFrom && day < from || hasTo && day > to {
			continue
		}
		if skipped < offset {
			skipped++
			continue
		}
		view := record{}
		for _, f := range []string{"_id", "dimensionId", "time", "value", "model", "parentId", "companyId", "companyName"} {
			if v, ok := m[f]; ok {
				view[f] = v
			}
		}
		out = append(out, view)
		if len(out) >= limit {
			break
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func cmpErr(errs ...*opError) *opError {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// handleOpenCall logs a call through the open tenant endpoint (no token).
func (s *Server) handleOpenCall(w http.ResponseWriter, r *http.Request, tenant string) {
	if !s.tenantOK(tenant) {
		s.unknownTenant(w, tenant)
		return
	}
	s.handleCreate(w, r, models["calls"])
}

// oneOrMany reads a body that is either one item or an array of them, as
// the segment and metrics endpoints accept.
func oneOrMany(v any) []any {
	if arr, ok := v.([]any); ok {
		return arr
	}
	return []any{v}
}
