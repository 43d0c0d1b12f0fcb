package planhat

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Planhat returns the same field with different JSON types depending on the endpoint, the
// record's age and the tenant (planhat-api.md §2.11). The Flex types below decode every shape
// seen so far instead of failing the whole response, and encode the canonical shape.

var jsonNull = []byte("null")

// unquote decodes a JSON string literal, without reflection for the common escape-free case.
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && bytes.IndexByte(b[1:len(b)-1], '"') < 0 && utf8.Valid(b) {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// FlexString is a string that also accepts numbers, booleans and null.
type FlexString string

// UnmarshalJSON accepts a string, number, boolean or null.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, jsonNull):
		*s = ""
	case b[0] == '"':
		v, err := unquote(b)
		if err != nil {
			return err
		}
		*s = FlexString(v)
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("planhat: cannot decode %s into a string", kindOf(b))
	default:
		*s = FlexString(b)
	}
	return nil
}

// String returns the plain string.
func (s FlexString) String() string { return string(s) }

// FlexBool is a boolean that also accepts "", "true"/"false"/"yes"/"no", numbers and null;
// anything empty or unrecognised decodes as false.
type FlexBool bool

// UnmarshalJSON accepts a boolean, string, number or null.
func (v *FlexBool) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, jsonNull):
		*v = false
	case b[0] == 't':
		*v = true
	case b[0] == 'f':
		*v = false
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "yes", "y", "1", "on":
			*v = true
		default:
			*v = false
		}
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("planhat: cannot decode %s into a boolean", kindOf(b))
	default:
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("planhat: cannot decode %q into a boolean", b)
		}
		*v = f != 0
	}
	return nil
}

// FlexNumber is a float64 that also accepts numeric strings, "" and null.
type FlexNumber float64

// UnmarshalJSON accepts a number, a numeric string, "", a boolean or null.
func (n *FlexNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, jsonNull):
		*n = 0
		return nil
	case b[0] == 't':
		*n = 1
		return nil
	case b[0] == 'f':
		*n = 0
		return nil
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
		b = []byte(s)
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("planhat: cannot decode %s into a number", kindOf(b))
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("planhat: cannot decode %q into a number", b)
	}
	*n = FlexNumber(f)
	return nil
}

// MarshalJSON writes the number, refusing NaN and infinities (which JSON cannot carry).
func (n FlexNumber) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("planhat: %v is not a valid JSON number", f)
	}
	return strconv.AppendFloat(nil, f, 'f', -1, 64), nil
}

// Int returns the number truncated to an int.
func (n FlexNumber) Int() int { return int(n) }

// FlexStrings is a list of strings that also accepts a comma-delimited string (",a,b,"), a
// single scalar, an array of scalars, "" and null.
type FlexStrings []string

// UnmarshalJSON accepts an array, a comma-delimited string, a scalar or null.
func (l *FlexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, jsonNull):
		*l = nil
	case b[0] == '[':
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		out := make([]string, 0, len(raw))
		for _, r := range raw {
			r = bytes.TrimSpace(r)
			if len(r) > 0 && r[0] == '{' {
				// An object in an id list: keep its id.
				var ref struct {
					ID  string `json:"_id"`
					ID2 string `json:"id"`
				}
				if err := json.Unmarshal(r, &ref); err != nil {
					return err
				}
				out = append(out, cmp.Or(ref.ID, ref.ID2))
				continue
			}
			var s FlexString
			if err := s.UnmarshalJSON(r); err != nil {
				return err
			}
			out = append(out, string(s))
		}
		*l = out
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*l = splitCommaList(s)
	case b[0] == '{':
		return fmt.Errorf("planhat: cannot decode an object into a list of strings")
	default:
		*l = FlexStrings{string(b)}
	}
	return nil
}

// splitCommaList turns ",a, b,," into [a b]; a string without commas is a one-item list.
func splitCommaList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// timeLayout is the shape Planhat writes: UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// FlexTime is a timestamp that accepts ISO 8601 strings (with or without time or zone),
// epoch milliseconds, "" and null; it encodes as ISO 8601 UTC with milliseconds.
type FlexTime struct{ time.Time }

// NewTime wraps t.
func NewTime(t time.Time) FlexTime { return FlexTime{t} }

// UnmarshalJSON accepts a date string, epoch milliseconds, "" or null.
func (t *FlexTime) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, jsonNull):
		t.Time = time.Time{}
		return nil
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		p, err := parseFlexTime(s)
		if err != nil {
			return err
		}
		t.Time = p
		return nil
	case b[0] == '{' || b[0] == '[' || b[0] == 't' || b[0] == 'f':
		return fmt.Errorf("planhat: cannot decode %s into a time", kindOf(b))
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || !validEpochMillis(f) {
		return fmt.Errorf("planhat: cannot decode %q into a time", b)
	}
	t.Time = time.UnixMilli(int64(f)).UTC()
	return nil
}

// Epoch milliseconds of years 0 and 9999, the range ISO 8601 strings can carry.
const (
	minEpochMillis = -62167219200000
	maxEpochMillis = 253402300799999
)

func validEpochMillis(f float64) bool {
	return !math.IsNaN(f) && f >= minEpochMillis && f <= maxEpochMillis
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05", "2006-01-02"}

func parseFlexTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && validEpochMillis(float64(ms)) {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("planhat: cannot parse time %q; expected ISO 8601", s)
}

// MarshalJSON writes ISO 8601 UTC with milliseconds, or null for the zero time.
func (t FlexTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	u := t.UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("planhat: year %d cannot be written as an ISO 8601 date", y)
	}
	return []byte(`"` + u.Format(timeLayout) + `"`), nil
}

// EpochDays is a date counted in whole days since 1970-01-01 UTC, the format of invoice
// dates, timesheet periods and dimension-data ranges.
type EpochDays int

// DaysOf converts a time to its epoch day (UTC).
func DaysOf(t time.Time) EpochDays {
	return EpochDays(math.Floor(float64(t.Unix()) / 86400))
}

// Time returns midnight UTC of the day.
func (d EpochDays) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats the day as YYYY-MM-DD.
func (d EpochDays) String() string { return d.Time().Format(time.DateOnly) }

// UnmarshalJSON accepts a day number (integer or float), a numeric string, an ISO date, ""
// or null.
func (d *EpochDays) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		s, err := unquote(b)
		if err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*d = 0
			return nil
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			t, err := parseFlexTime(s)
			if err != nil {
				return err
			}
			*d = DaysOf(t)
			return nil
		}
		b = []byte(s)
	}
	var n FlexNumber
	if err := n.UnmarshalJSON(b); err != nil {
		return err
	}
	if math.Abs(float64(n)) > 1e8 {
		return fmt.Errorf("planhat: %v is out of range for a day count", float64(n))
	}
	*d = EpochDays(math.Floor(float64(n)))
	return nil
}

// UserRef is a reference to a team member: an id string on single-record reads, an
// {_id, nickName} object in lists. It encodes as the id string, which is what writes take.
type UserRef struct {
	// ID is the user's Planhat _id.
	ID string
	// NickName is set when Planhat returned the populated object.
	NickName string
}

// UnmarshalJSON accepts an id string, an object with _id/id and nickName/name, or null.
func (u *UserRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*u = UserRef{}
	switch {
	case len(b) == 0 || bytes.Equal(b, jsonNull):
		return nil
	case b[0] == '{':
		var o struct {
			ID       FlexString `json:"_id"`
			ID2      FlexString `json:"id"`
			NickName FlexString `json:"nickName"`
			Name     FlexString `json:"name"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		u.ID = cmp.Or(string(o.ID), string(o.ID2))
		u.NickName = cmp.Or(string(o.NickName), string(o.Name))
		return nil
	}
	var s FlexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	u.ID = string(s)
	return nil
}

// MarshalJSON writes the id string.
func (u UserRef) MarshalJSON() ([]byte, error) { return json.Marshal(u.ID) }

// IsZero reports an empty reference, so omitzero drops it.
func (u UserRef) IsZero() bool { return u.ID == "" }

// Ref is a reference to a record that Planhat sends either as an id string or as an
// {id|_id, name} object, as in a conversation's endusers. It encodes as {"id": ...}.
type Ref struct {
	// ID is the referenced record's _id.
	ID string `json:"id"`
	// Name is the display name, when Planhat included it.
	Name string `json:"name,omitempty"`
}

// UnmarshalJSON accepts an id string, an object with id/_id and name/nickName, or null.
func (r *Ref) UnmarshalJSON(b []byte) error {
	var u UserRef
	if err := u.UnmarshalJSON(b); err != nil {
		return err
	}
	*r = Ref{ID: u.ID, Name: u.NickName}
	return nil
}

// ConversationUser is a team member taking part in a conversation.
type ConversationUser struct {
	// ID is the user's _id.
	ID string `json:"id"`
	// Name is the user's display name (set by Planhat).
	Name string `json:"name,omitempty"`
	// IsOwner marks the conversation owner.
	IsOwner FlexBool `json:"isOwner,omitempty"`
}

// UnmarshalJSON accepts an id string or an object.
func (c *ConversationUser) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			ID      FlexString `json:"id"`
			ID2     FlexString `json:"_id"`
			Name    FlexString `json:"name"`
			IsOwner FlexBool   `json:"isOwner"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*c = ConversationUser{ID: cmp.Or(string(o.ID), string(o.ID2)), Name: string(o.Name), IsOwner: o.IsOwner}
		return nil
	}
	var s FlexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*c = ConversationUser{ID: string(s)}
	return nil
}

func kindOf(b []byte) string {
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	}
	return fmt.Sprintf("%q", b)
}

// Extra fields: every typed model keeps the JSON members it does not declare in
// Extra map[string]json.RawMessage, so nothing Planhat sends is lost and unknown fields
// survive a read-modify-write.

var knownFieldsCache sync.Map // reflect.Type -> map[string]int (JSON name -> field index)

// knownFields maps the JSON member names declared by struct type t to their field index.
func knownFields(t reflect.Type) map[string]int {
	if v, ok := knownFieldsCache.Load(t); ok {
		return v.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		m[name] = i
	}
	knownFieldsCache.Store(t, m)
	return m
}

// decodeWithExtra decodes b into v (a pointer to a method-less alias of the model struct)
// and collects undeclared members into extra. A member whose type does not fit its field
// (a number where a string was declared, say) never fails the record: scalars are converted
// to the string field, anything else is kept in extra under its own name.
func decodeWithExtra(b []byte, v any, extra *map[string]json.RawMessage) error {
	rv := reflect.ValueOf(v).Elem()
	known := knownFields(rv.Type())
	if err := json.Unmarshal(b, v); err == nil {
		// Fast path: collect members only when the object has an undeclared key.
		if allKeysKnown(b, known) {
			*extra = nil
			return nil
		}
		var all map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			*extra = nil
			return nil // null
		}
		for k := range all {
			if _, ok := known[k]; ok {
				delete(all, k)
			}
		}
		if len(all) == 0 {
			all = nil
		}
		*extra = all
		return nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		var s *json.SyntaxError
		if errors.As(err, &s) {
			return err
		}
		return fmt.Errorf("planhat: expected a JSON object, got %s", kindOf(bytes.TrimSpace(b)))
	}
	// Slow path: decode field by field so one odd member cannot sink the record.
	rv.SetZero()
	for k, raw := range all {
		i, ok := known[k]
		if !ok {
			continue
		}
		if setField(rv.Field(i), raw) {
			delete(all, k)
		}
	}
	if len(all) == 0 {
		all = nil
	}
	*extra = all
	return nil
}

// allKeysKnown reports whether every top-level member name of a valid JSON object is
// declared; escaped names count as unknown, which only costs the slow path.
func allKeysKnown(b []byte, known map[string]int) bool {
	ok := true
	eachMember(b, func(key, _ []byte, escaped bool) bool {
		if escaped {
			ok = false
		} else if _, found := known[string(key)]; !found {
			ok = false
		}
		return ok
	})
	return ok
}

// eachMember calls fn with the raw name (without quotes) and raw value of each top-level
// member of a valid JSON object, until fn returns false. It does not validate: callers pass
// bytes that encoding/json produced or already accepted.
func eachMember(b []byte, fn func(key, value []byte, escaped bool) bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return
		}
		end, escaped := stringEnd(b, i)
		key := b[i+1 : end]
		i = skipSpace(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = skipSpace(b, i+1)
		vEnd := valueEnd(b, i)
		if !fn(key, b[i:vEnd], escaped) {
			return
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index of the closing quote of the string starting at b[i].
func stringEnd(b []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j, escaped
		}
	}
	return len(b), escaped
}

// valueEnd returns the index just past the value starting at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return min(end+1, len(b))
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j, _ = stringEnd(b, j)
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		return j
	}
}

// setField decodes raw into field f, converting a scalar to a string field; it reports
// whether the value found a home.
func setField(f reflect.Value, raw json.RawMessage) bool {
	p := reflect.New(f.Type())
	if json.Unmarshal(raw, p.Interface()) == nil {
		f.Set(p.Elem())
		return true
	}
	if f.Kind() == reflect.String {
		var s FlexString
		if s.UnmarshalJSON(raw) == nil {
			f.SetString(string(s))
			return true
		}
	}
	return false
}

// encodeWithExtra encodes v and appends the extra members it does not already declare.
func encodeWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	known := knownFields(reflect.TypeOf(v))
	var buf bytes.Buffer
	buf.Grow(len(b) + 64*len(extra))
	buf.Write(b[:len(b)-1])
	first := len(b) == 2 // "{}"
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if _, ok := known[k]; ok {
			continue
		}
		if !json.Valid(extra[k]) {
			return nil, fmt.Errorf("planhat: extra field %q holds invalid JSON", k)
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(extra[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
