package planhatemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// splitPath splits an escaped path into unescaped segments, dropping empty
// leading and trailing ones so "/companies/" routes like "/companies" (an
// empty id silently hits the list, as on Planhat).
func splitPath(escaped string) []string {
	escaped = strings.Trim(escaped, "/")
	if escaped == "" {
		return nil
	}
	parts := strings.Split(escaped, "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

// resolveMain maps a main-host request to its route. combined adds the
// emulator control routes of the standalone listener.
func (s *Server) resolveMain(r *http.Request, combined bool) route {
	segs := splitPath(r.URL.EscapedPath())
	m := r.Method
	if combined && len(segs) >= 2 && segs[0] == "_emulator" && segs[1] == "faults" {
		switch len(segs) {
		case 2:
			return route{name: m + " /_emulator/faults", internal: true, h: s.faults.ServeHTTP}
		case 3:
			return route{name: m + " /_emulator/faults/{id}", internal: true, h: func(w http.ResponseWriter, r *http.Request) {
				s.faults.ServeOne(w, r, segs[2])
			}}
		}
	}
	if combined && len(segs) == 2 && segs[0] == "_emulator" {
		switch {
		case segs[1] == "stats" && m == http.MethodGet:
			return route{name: "GET /_emulator/stats", internal: true, h: s.handleStats}
		case segs[1] == "reset" && m == http.MethodPost:
			return route{name: "POST /_emulator/reset", internal: true, h: s.handleReset}
		}
	}
	switch len(segs) {
	case 1:
		switch segs[0] {
		case "leancompanies":
			rt := route{name: m + " /leancompanies"}
			if m == http.MethodGet {
				rt.h = s.handleLeanCompanies
			}
			return rt
		case "dimensiondata":
			rt := route{name: m + " /dimensiondata"}
			if m == http.MethodGet {
				rt.h = s.handleDimensionRead
			}
			return rt
		case "myprofile":
			rt := route{name: m + " /myprofile"}
			if m == http.MethodGet {
				rt.h = s.handleMyProfile
			}
			return rt
		}
		spec, ok := models[segs[0]]
		if !ok {
			break
		}
		rt := route{name: m + " /" + spec.path}
		if spec.path == "notes" && s.Switches().NotesNotFound {
			return rt
		}
		switch {
		case m == http.MethodGet && spec.list:
			rt.h = func(w http.ResponseWriter, r *http.Request) { s.handleList(w, r, spec) }
		case m == http.MethodPost && spec.create && !spec.readOnly:
			rt.h = func(w http.ResponseWriter, r *http.Request) { s.handleCreate(w, r, spec) }
		case m == http.MethodPut && spec.bulk && !spec.readOnly:
			rt.h = func(w http.ResponseWriter, r *http.Request) { s.handleBulk(w, r, spec) }
		}
		return rt
	case 2:
		if spec, ok := models[segs[0]]; ok {
			if spec.path == "timeentries" && segs[1] == "duplicate" && m == http.MethodPost {
				return route{name: "POST /timeentries/duplicate", h: s.handleDuplicateTimeEntries}
			}
			rt := route{name: m + " /" + spec.path + "/{id}"}
			if spec.path == "notes" && s.Switches().NotesNotFound {
				return rt
			}
			id := segs[1]
			switch {
			case m == http.MethodGet && spec.item:
				rt.h = func(w http.ResponseWriter, r *http.Request) { s.handleGet(w, r, spec, id) }
			case m == http.MethodPut && spec.item && !spec.readOnly && spec.path != "tickets":
				rt.h = func(w http.ResponseWriter, r *http.Request) { s.handleUpdate(w, r, spec, id) }
			case m == http.MethodDelete && spec.item && !spec.readOnly:
				rt.h = func(w http.ResponseWriter, r *http.Request) { s.handleDelete(w, r, spec, id) }
			}
			return rt
		}
		if m == http.MethodPost && segs[1] == "calls" {
			tenant := segs[0]
			return route{name: "POST /{tenant}/calls", open: true,
				h: func(w http.ResponseWriter, r *http.Request) { s.handleOpenCall(w, r, tenant) }}
		}
		if m == http.MethodPost && segs[1] == "dimensiondata" {
			tenant := segs[0]
			return route{name: "POST /{tenant}/dimensiondata", open: true,
				h: func(w http.ResponseWriter, r *http.Request) { s.handleMetricsPush(w, r, tenant) }}
		}
	}
	if len(segs) >= 3 && len(segs) <= 4 && segs[0] == "companies" && segs[2] == "licenses" {
		return s.resolveLegacyLicenses(m, segs)
	}
	return route{name: m + " (unmatched)"}
}

// resolveLegacyLicenses serves the old nested license routes,
// /companies/{companyId}/licenses[/{id}], on the licenses collection.
func (s *Server) resolveLegacyLicenses(m string, segs []string) route {
	spec := models["licenses"]
	company := segs[1]
	if len(segs) == 3 {
		rt := route{name: m + " /companies/{companyId}/licenses"}
		switch m {
		case http.MethodGet:
			rt.h = func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				q.Set("companyId", company)
				r2 := r.Clone(r.Context())
				r2.URL.RawQuery = q.Encode()
				s.handleList(w, r2, spec)
			}
		case http.MethodPost:
			rt.h = func(w http.ResponseWriter, r *http.Request) {
				body, ok := s.readObject(w, r, "POST /companies/{companyId}/licenses takes one JSON object")
				if !ok {
					return
				}
				body = clone(body)
				body["companyId"] = company
				s.createObject(w, spec, body)
			}
		}
		return rt
	}
	id := segs[3]
	rt := route{name: m + " /companies/{companyId}/licenses/{id}"}
	inCompany := func(w http.ResponseWriter) bool {
		s.mu.RLock()
		lic := s.lookupLocked(spec, id)
		c := s.lookupLocked(models["companies"], company)
		s.mu.RUnlock()
		if lic == nil || c == nil || str(lic, "companyId") != str(c, "_id") {
			s.writeError(w, http.StatusNotFound, fmt.Sprintf("license %q not found under company %q", id, company))
			return false
		}
		return true
	}
	switch m {
	case http.MethodGet:
		rt.h = func(w http.ResponseWriter, r *http.Request) {
			if inCompany(w) {
				s.handleGet(w, r, spec, id)
			}
		}
	case http.MethodPut:
		rt.h = func(w http.ResponseWriter, r *http.Request) {
			if inCompany(w) {
				s.handleUpdate(w, r, spec, id)
			}
		}
	case http.MethodDelete:
		rt.h = func(w http.ResponseWriter, r *http.Request) {
			if inCompany(w) {
				s.handleDelete(w, r, spec, id)
			}
		}
	}
	return rt
}

// resolveAnalytics maps analytics-host requests; name "" means not an
// analytics route.
func (s *Server) resolveAnalytics(r *http.Request) route {
	segs := splitPath(r.URL.EscapedPath())
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return route{}
	}
	switch {
	case r.Method == http.MethodPut && !(len(segs) == 4 && segs[1] == "stream"):
		return route{}
	case len(segs) == 2 && segs[0] == "analytics":
		tenant := segs[1]
		return route{name: "POST /analytics/{tenant}", open: true,
			h: func(w http.ResponseWriter, r *http.Request) { s.handleTrack(w, r, tenant, false) }}
	case len(segs) == 3 && segs[0] == "analytics" && segs[1] == "bulk":
		tenant := segs[2]
		return route{name: "POST /analytics/bulk/{tenant}", open: true,
			h: func(w http.ResponseWriter, r *http.Request) { s.handleTrack(w, r, tenant, true) }}
	case len(segs) == 4 && segs[0] == "analytics" && segs[1] == "stream" && segs[2] == "csv" && r.Method == http.MethodPut:
		tenant := segs[3]
		return route{name: "PUT /analytics/stream/csv/{tenant}", open: true,
			h: func(w http.ResponseWriter, r *http.Request) { s.handleTrackCSV(w, r, tenant) }}
	case len(segs) == 2 && segs[0] == "dock" && segs[1] == "segment":
		return route{name: "POST /dock/segment", open: true, h: s.handleSegment}
	case len(segs) == 2 && segs[0] == "dimensiondata":
		tenant := segs[1]
		return route{name: "POST /dimensiondata/{tenant}", open: true,
			h: func(w http.ResponseWriter, r *http.Request) { s.handleMetricsPush(w, r, tenant) }}
	}
	return route{}
}

func (s *Server) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) handleReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) handleMyProfile(w http.ResponseWriter, _ *http.Request) {
	s.mu.RLock()
	u := s.apiUser
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, u)
}

// writeJSON encodes v without HTML escaping, as Node's JSON.stringify does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "emulator could not encode the response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(strings.TrimSuffix(buf.String(), "\n")))
}

// writeError answers an error as {"error":msg} or, with StringErrors, as
// plain text.
func (s *Server) writeError(w http.ResponseWriter, status int, msg string) {
	if s.Switches().StringErrors {
		writeText(w, status, msg)
		return
	}
	writeJSON(w, status, map[string]any{"error": msg})
}

// writeText answers a plain-text body, the shape of Planhat's 401 and 429.
func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// writeUnauthorized answers Planhat's 401 for a missing or wrong token.
func writeUnauthorized(w http.ResponseWriter) {
	writeText(w, http.StatusUnauthorized, "Unauthorized")
}
