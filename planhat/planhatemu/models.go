package planhatemu

import (
	"fmt"
	"strings"
)

// modelSpec describes one REST model the emulator serves: its path, list
// limits, keyables, company reference and create-time validation. Views
// (notes, tickets) share the conversations collection and filter by type.
type modelSpec struct {
	path         string   // path segment, e.g. "companies"
	collection   string   // where records live; views share one
	typeView     string   // when set, the view shows and creates only this conversation type
	defaultLimit int      // limit used when the query has none
	maxLimit     int      // largest limit honoured (clamped or refused)
	keyables     []string // fields usable to match records in bulk upsert
	extField     string   // "externalId", or "extId" for invoices
	companyField string   // "companyId", "cId", "companyIds" or "" (companies)
	bulk         bool     // PUT /<model> with an array
	create       bool     // POST /<model>
	item         bool     // GET/PUT/DELETE /<model>/{id}
	list         bool     // GET /<model>
	readOnly     bool     // only GET routes
	validate     func(rec record, partial bool) string
}

// singleCompany reports whether the model references one company
// (companyId or cId), which scopes externalId and email matches to it.
func (m *modelSpec) singleCompany() bool {
	return m.companyField == "companyId" || m.companyField == "cId"
}

// companyExtRef is the extid- company reference rec's companyExternalId
// stands for, when it has one, so it resolves like a companyId.
func companyExtRef(rec record) (string, bool) {
	if !present(rec, "companyExternalId") {
		return "", false
	}
	return "extid-" + str(rec, "companyExternalId"), true
}

// models is the catalogue of spec §2.7; list limits are §2.4's default/max.
var models = map[string]*modelSpec{}

func init() {
	std := func(path string, def, max int, keyables []string, companyField string, v func(record, bool) string) *modelSpec {
		return &modelSpec{path: path, collection: path, defaultLimit: def, maxLimit: max, keyables: keyables,
			extField: "externalId", companyField: companyField, bulk: true, create: true, item: true, list: true, validate: v}
	}
	all := []string{"_id", "sourceId", "externalId"}
	add := func(m *modelSpec) { models[m.path] = m }

	add(std("companies", 100, 5000, all, "", need("name")))
	add(std("endusers", 100, 2000, []string{"_id", "sourceId", "externalId", "email"}, "companyId", need("email", "companyId")))
	add(std("users", 10000, 10000, []string{"_id", "externalId", "email"}, "", need("email", "nickName", "firstName", "lastName")))
	add(std("conversations", 30, 2000, all, "companyId", need("companyId")))
	notes := std("notes", 30, 2000, all, "companyId", need("companyId"))
	notes.collection, notes.typeView = "conversations", "note"
	add(notes)
	tickets := std("tickets", 100, 10000, []string{"sourceId"}, "companyId", need("sourceId", "email", "companyId"))
	tickets.collection, tickets.typeView, tickets.create = "conversations", "ticket", false
	add(tickets)
	add(std("assets", 100, 2000, all, "companyId", need("name", "companyId")))
	add(std("projects", 100, 2000, all, "companyId", need("name", "companyId")))
	add(std("campaigns", 100, 2000, all, "companyId", need("name", "companyId")))
	add(std("objectives", 100, 2000, all, "companyId", need("name", "companyId")))
	add(std("churn", 100, 1000, []string{"_id", "sourceId"}, "companyId", need("companyId")))
	add(std("licenses", 100, 2000, all, "companyId", validateLicense))
	add(std("sales", 100, 2000, all, "companyId", validateSale))
	inv := std("invoices", 100, 2000, []string{"_id", "sourceId", "extId"}, "cId", need("currency", "cId"))
	inv.extField = "extId"
	add(inv)
	add(std("opportunities", 100, 2000, all, "companyId", need("companyId")))
	add(std("deals", 100, 2000, all, "companyId", need("companyId")))
	add(std("issues", 100, 2000, []string{"_id", "sourceId"}, "companyIds", need("title")))
	add(std("tasks", 500, 10000, all, "companyId", need("mainType", "companyId")))
	add(std("nps", 100, 10000, []string{"_id", "sourceId"}, "cId", validateNPS))
	cf := std("customfields", 100, 2000, []string{"_id"}, "", validateCustomField)
	cf.bulk = false
	add(cf)
	add(std("timeentries", 100, 2000, []string{"_id"}, "companyId", validateTimeEntry))
	add(std("timesheets", 100, 2000, []string{"_id"}, "", nil))
	add(std("workspaces", 100, 2000, all, "companyId", nil))
	wf := std("workflows", 100, 2000, []string{"_id"}, "", nil)
	wf.readOnly, wf.bulk, wf.create = true, false, false
	add(wf)
	for _, ro := range []string{"activitytags", "segments"} {
		m := std(ro, 100, 2000, []string{"_id"}, "", nil)
		m.readOnly, m.bulk, m.create = true, false, false
		add(m)
	}
	calls := std("calls", 100, 2000, []string{"_id", "externalId"}, "", validateCall)
	calls.bulk = false
	add(calls)
}

// collections lists the distinct stores behind the models.
func collectionNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range models {
		if !seen[m.collection] {
			seen[m.collection] = true
			out = append(out, m.collection)
		}
	}
	return out
}

// present reports whether rec carries a usable value for field: not
// missing, not null and not an empty string.
func present(rec record, field string) bool {
	v, ok := rec[field]
	if !ok || v == nil {
		return false
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return false
	}
	return true
}

// need builds a validator requiring every field on create; on partial
// updates it refuses only fields being blanked out.
func need(fields ...string) func(record, bool) string {
	return func(rec record, partial bool) string {
		for _, f := range fields {
			if partial {
				if _, ok := rec[f]; ok && !present(rec, f) {
					return fmt.Sprintf("%s cannot be empty", f)
				}
				continue
			}
			if !present(rec, f) {
				return fmt.Sprintf("%s is required", f)
			}
		}
		return ""
	}
}

func chain(vs ...func(record, bool) string) func(record, bool) string {
	return func(rec record, partial bool) string {
		for _, v := range vs {
			if msg := v(rec, partial); msg != "" {
				return msg
			}
		}
		return ""
	}
}

// numberRule checks a numeric field when present (or always when !partial
// and required).
func numberRule(field string, required bool, ok func(float64) bool, rule string) func(record, bool) string {
	return func(rec record, partial bool) string {
		if !present(rec, field) {
			if required && !partial {
				return field + " is required"
			}
			return ""
		}
		f, isNum := toFloat(rec[field])
		if !isNum {
			return field + " must be a number"
		}
		if !ok(f) {
			return field + " " + rule
		}
		return ""
	}
}

var validateLicense = chain(need("_currency", "companyId", "fromDate"), func(rec record, partial bool) string {
	if partial {
		return ""
	}
	if b, _ := rec["fixedPeriod"].(bool); b {
		if !present(rec, "value") {
			return "value is required when fixedPeriod is true"
		}
		return ""
	}
	if !present(rec, "mrr") {
		return "mrr is required when fixedPeriod is false"
	}
	return ""
})

var validateSale = chain(need("_currency", "companyId", "salesDate"),
	numberRule("value", true, func(f float64) bool { return f > 0 }, "must be greater than 0"))

var validateNPS = chain(need("email"),
	numberRule("score", true, func(f float64) bool { return f >= 0 && f <= 10 }, "must be between 0 and 10"))

var customFieldTypes = map[string]bool{"number": true, "text": true, "rich text": true, "checkbox": true, "day": true,
	"date": true, "list": true, "multipicklist": true, "team member": true, "team members": true, "rating": true,
	"phone": true, "email": true, "enduser": true, "endusers": true, "url": true}

var validateCustomField = chain(need("name", "type", "parent"), func(rec record, partial bool) string {
	if t, ok := rec["type"].(string); ok && !customFieldTypes[t] {
		return fmt.Sprintf("type %q is not a custom field type", t)
	}
	return ""
})

var validateTimeEntry = chain(need("date"),
	numberRule("hours", true, func(f float64) bool { return f >= 0.1 && f <= 24 }, "must be between 0.1 and 24"))

func validateCall(rec record, partial bool) string {
	if partial {
		return ""
	}
	if present(rec, "nr") || present(rec, "userId") || present(rec, "phUserId") || present(rec, "externalUserId") {
		return ""
	}
	return "nr (or userId/phUserId) is required"
}
