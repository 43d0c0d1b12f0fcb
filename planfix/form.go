package planfix

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxFormFields caps how many key=value pairs ParseForm accepts, so a small
// body of bare "&" separators cannot make the decoder allocate without bound.
const MaxFormFields = 2000

// ErrMalformedForm is matched (errors.Is) by every error ParseForm returns.
var ErrMalformedForm = errors.New("malformed form body")

// Field is one key=value pair of a form body.
type Field struct {
	Key   string
	Value string
}

// Form is an ordered application/x-www-form-urlencoded body: keys keep
// their insertion order and may repeat, which url.Values cannot express
// (its Encode sorts keys and so separates attachments[name] from
// attachments[url]).
type Form []Field

// Add appends key=value, keeping any earlier values of key.
func (f *Form) Add(key, value string) { *f = append(*f, Field{Key: key, Value: value}) }

// AddNonEmpty appends key=value only when value is not empty, because
// Planfix documents optional fields as absent rather than empty.
func (f *Form) AddNonEmpty(key, value string) {
	if value != "" {
		f.Add(key, value)
	}
}

// Get returns the first value of key, or "" when key is absent.
func (f Form) Get(key string) string {
	for _, p := range f {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

// Has reports whether key occurs at least once.
func (f Form) Has(key string) bool {
	for _, p := range f {
		if p.Key == key {
			return true
		}
	}
	return false
}

// Values returns every value of key in body order.
func (f Form) Values(key string) []string {
	var out []string
	for _, p := range f {
		if p.Key == key {
			out = append(out, p.Value)
		}
	}
	return out
}

// Encode renders the form as a request body in insertion order. Values are
// query-escaped (space as "+"); brackets in keys stay literal, as in
// Planfix's documentation, and decoders accept them either way.
func (f Form) Encode() string {
	var b strings.Builder
	for i, p := range f {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escapeKey(p.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}

// String renders the form one "key=value" line per field, unescaped, the
// way Planfix's documentation prints its sample calls.
func (f Form) String() string {
	var b strings.Builder
	for _, p := range f {
		b.WriteString(p.Key)
		b.WriteByte('=')
		b.WriteString(p.Value)
		b.WriteByte('\n')
	}
	return b.String()
}

// Redacted returns a copy of the form with the values of the token fields
// replaced, for logs and test failure messages.
func (f Form) Redacted() Form {
	out := make(Form, len(f))
	for i, p := range f {
		if p.Key == "token" || p.Key == "planfix_token" {
			p.Value = "[redacted]"
		}
		out[i] = p
	}
	return out
}

func escapeKey(k string) string {
	e := url.QueryEscape(k)
	if strings.Contains(e, "%5B") || strings.Contains(e, "%5D") {
		e = strings.NewReplacer("%5B", "[", "%5D", "]").Replace(e)
	}
	return e
}

// ParseForm decodes an application/x-www-form-urlencoded body in order.
// Repeated keys are kept, brackets may be literal or percent-encoded, and
// every key and value must be valid UTF-8 after decoding.
func ParseForm(body string) (Form, error) {
	if body == "" {
		return Form{}, nil
	}
	n := strings.Count(body, "&") + 1
	if n > MaxFormFields {
		n = MaxFormFields
	}
	f := make(Form, 0, n)
	for part := range strings.SplitSeq(body, "&") {
		if part == "" {
			continue
		}
		if len(f) == MaxFormFields {
			return nil, fmt.Errorf("%w: more than %d fields", ErrMalformedForm, MaxFormFields)
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("%w: field %d: bad escape in key", ErrMalformedForm, len(f)+1)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("%w: field %q: bad escape in value", ErrMalformedForm, safeKey(key))
		}
		if !utf8.ValidString(key) {
			return nil, fmt.Errorf("%w: field %d: key is not valid UTF-8", ErrMalformedForm, len(f)+1)
		}
		if !utf8.ValidString(val) {
			return nil, fmt.Errorf("%w: field %q: value is not valid UTF-8", ErrMalformedForm, safeKey(key))
		}
		f = append(f, Field{Key: key, Value: val})
	}
	return f, nil
}

// safeKey bounds a key for an error message.
func safeKey(k string) string {
	if len(k) > 64 {
		k = k[:64]
	}
	return strings.ToValidUTF8(k, "?")
}

// Attachment is a file travelling as a public URL, the only way Planfix's
// chat API moves files in either direction.
type Attachment struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// addAttachments appends the pairs interleaved (name, url, name, url), the
// order of Planfix's documented sample calls.
func (f *Form) addAttachments(as []Attachment) {
	for _, a := range as {
		f.Add("attachments[name]", a.Name)
		f.Add("attachments[url]", a.URL)
	}
}

// addData appends data_<field> keys sorted by field name, so equal inputs
// give byte-identical bodies.
func (f *Form) addData(data map[string]string) {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f.Add("data_"+k, data[k])
	}
}

// Data returns the data_<field> values of the form keyed by field name (the
// text after "data_"); the last value wins for a repeated field.
func (f Form) Data() map[string]string {
	var out map[string]string
	for _, p := range f {
		if name, ok := strings.CutPrefix(p.Key, "data_"); ok && name != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = p.Value
		}
	}
	return out
}

// Attachments pairs the form's attachment fields. It understands the
// documented shape (attachments[name]/attachments[url] repeated, paired by
// position whether interleaved or grouped), indexed shapes
// (attachments[0][name]) and empty-index shapes (attachments[][name]).
// When the counts of names and URLs differ, neighbours are paired in body
// order; a URL without a name gets its name from the URL's path, and a name
// without a URL is dropped because there is nothing to fetch.
func (f Form) Attachments() []Attachment {
	var names, urls []string
	var seq []Field // plain and [] shapes, in body order, key "name" or "url"
	indexed := map[string]*Attachment{}
	var order []string
	for _, p := range f {
		rest, ok := strings.CutPrefix(p.Key, "attachments[")
		if !ok {
			continue
		}
		switch rest {
		case "name]", "][name]":
			names = append(names, p.Value)
			seq = append(seq, Field{"name", p.Value})
			continue
		case "url]", "][url]":
			urls = append(urls, p.Value)
			seq = append(seq, Field{"url", p.Value})
			continue
		}
		idx, sub, ok := strings.Cut(rest, "][")
		if !ok || idx == "" {
			continue
		}
		if _, err := strconv.ParseUint(idx, 10, 32); err != nil {
			continue
		}
		a := indexed[idx]
		if a == nil {
			a = &Attachment{}
			indexed[idx] = a
			order = append(order, idx)
		}
		switch sub {
		case "name]":
			a.Name = p.Value
		case "url]":
			a.URL = p.Value
		}
	}
	var out []Attachment
	if len(names) == len(urls) {
		for i := range names {
			out = append(out, Attachment{Name: names[i], URL: urls[i]})
		}
	} else {
		out = pairInOrder(seq)
	}
	for _, idx := range order {
		out = append(out, *indexed[idx])
	}
	kept := out[:0]
	for _, a := range out {
		if a.URL == "" {
			continue
		}
		if a.Name == "" {
			a.Name = nameFromURL(a.URL)
		}
		kept = append(kept, a)
	}
	if len(kept) == 0 {
		return nil
	}
	return kept
}

// pairInOrder joins each name with the URL next to it, whichever comes
// first, for bodies whose counts do not match.
func pairInOrder(seq []Field) []Attachment {
	var out []Attachment
	open := false // the last attachment still lacks its partner
	for _, p := range seq {
		if open {
			last := &out[len(out)-1]
			if p.Key == "name" && last.Name == "" {
				last.Name, open = p.Value, false
				continue
			}
			if p.Key == "url" && last.URL == "" {
				last.URL, open = p.Value, false
				continue
			}
		}
		if p.Key == "name" {
			out = append(out, Attachment{Name: p.Value})
		} else {
			out = append(out, Attachment{URL: p.Value})
		}
		open = true
	}
	return out
}

func nameFromURL(raw string) string {
	u, err := url.Parse(raw)
	if err == nil {
		if b := path.Base(u.Path); b != "." && b != "/" && b != "" {
			return b
		}
		if u.Host != "" {
			return u.Host
		}
	}
	return "file"
}

func utf8Valid(key string, value []byte) bool {
	return utf8.ValidString(key) && utf8.Valid(value)
}
