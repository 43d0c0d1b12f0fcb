package planhatemu

import (
	"encoding/json"
	"strconv"
	"strings"
)

// record is one stored object, exactly as JSON decoded it (numbers as
// json.Number). Stored records are never mutated in place: writers build a
// new map, so readers may encode a record after releasing the lock.
type record = map[string]any

// collection is one model's records: a map for lookups, an insertion-order
// slice for stable listing, and indexes for the keyables so bulk upserts of
// 100k items stay linear.
type collection struct {
	byID     map[string]record
	order    []string // insertion order; deleted ids stay until compaction
	dead     int
	bySrc    map[string]string   // sourceId -> _id (unique per model)
	byExt    map[string][]string // externalId -> _ids (unique per company)
	byEmail  map[string][]string // lower(email) -> _ids (not unique)
	byDomain map[string]string   // company domain -> _id (companies only)
	extField string
}

func newCollection(extField string) *collection {
	return &collection{
		byID: map[string]record{}, bySrc: map[string]string{}, byExt: map[string][]string{},
		byEmail: map[string][]string{}, byDomain: map[string]string{}, extField: extField,
	}
}

// str returns a field as a string, accepting numbers (a quirk some sources
// send for ids); other types give "".
func str(rec record, field string) string {
	switch v := rec[field].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func (c *collection) index(rec record) {
	id := str(rec, "_id")
	if s := str(rec, "sourceId"); s != "" {
		c.bySrc[s] = id
	}
	if e := str(rec, c.extField); e != "" {
		c.byExt[e] = append(c.byExt[e], id)
	}
	if e := strings.ToLower(str(rec, "email")); e != "" {
		c.byEmail[e] = append(c.byEmail[e], id)
	}
	for _, d := range domainsOf(rec) {
		if _, taken := c.byDomain[d]; !taken {
			c.byDomain[d] = id
		}
	}
}

func (c *collection) unindex(rec record) {
	id := str(rec, "_id")
	if s := str(rec, "sourceId"); s != "" && c.bySrc[s] == id {
		delete(c.bySrc, s)
	}
	if e := str(rec, c.extField); e != "" {
		c.byExt[e] = without(c.byExt[e], id)
		if len(c.byExt[e]) == 0 {
			delete(c.byExt, e)
		}
	}
	if e := strings.ToLower(str(rec, "email")); e != "" {
		c.byEmail[e] = without(c.byEmail[e], id)
		if len(c.byEmail[e]) == 0 {
			delete(c.byEmail, e)
		}
	}
	for _, d := range domainsOf(rec) {
		if c.byDomain[d] == id {
			delete(c.byDomain, d)
		}
	}
}

func without(ids []string, id string) []string {
	for i, v := range ids {
		if v == id {
			return append(ids[:i:i], ids[i+1:]...)
		}
	}
	return ids
}

// domainsOf reads a company's domains, as an array or as the comma-string
// quirk form.
func domainsOf(rec record) []string {
	var out []string
	switch v := rec["domains"].(type) {
	case []any:
		for _, d := range v {
			if s, ok := d.(string); ok && s != "" {
				out = append(out, strings.ToLower(s))
			}
		}
	case string:
		for _, s := range splitList(v) {
			out = append(out, strings.ToLower(s))
		}
	}
	return out
}

func (c *collection) insert(rec record) {
	id := str(rec, "_id")
	c.byID[id] = rec
	c.order = append(c.order, id)
	c.index(rec)
}

func (c *collection) replace(old, rec record) {
	c.unindex(old)
	c.byID[str(rec, "_id")] = rec
	c.index(rec)
}

func (c *collection) remove(id string) (record, bool) {
	rec, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	c.unindex(rec)
	delete(c.byID, id)
	c.dead++
	if c.dead > 1024 && c.dead > len(c.order)/2 {
		live := make([]string, 0, len(c.byID))
		for _, v := range c.order {
			if _, ok := c.byID[v]; ok {
				live = append(live, v)
			}
		}
		c.order, c.dead = live, 0
	}
	return rec, true
}

// each calls fn for live records in insertion order until fn returns false.
func (c *collection) each(fn func(record) bool) {
	for _, id := range c.order {
		rec, ok := c.byID[id]
		if !ok {
			continue
		}
		if !fn(rec) {
			return
		}
	}
}

// clone copies the top level of a record; nested values are shared, which
// is safe because nothing mutates them in place.
func clone(rec record) record {
	out := make(record, len(rec)+4)
	for k, v := range rec {
		out[k] = v
	}
	return out
}

// isObjectID reports whether s looks like a 24-hex MongoDB ObjectId.
func isObjectID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// toFloat reads a JSON number (or numeric string) as float64.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}
