package actions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The list and get actions pass Planhat's records through. Decoding them
// into maps and encoding the maps again cost most of the hot path's CPU, so
// they rewrite Planhat's JSON instead, into exactly what that round trip
// produced: compact, every object's keys sorted (the last of duplicate keys
// wins), strings in encoding/json's escaping. Only numbers differ: they are
// kept as Planhat sent them, where a float64 would have rounded big ones.
// The input is JSON the planhat client has already checked with
// json.Valid, so the scanner below only finds boundaries.

// errNotRecord reports a page item or answer that is not a JSON object.
var errNotRecord = errors.New("a record is not a JSON object")

// rawField is one member of an object being rewritten: its key, decoded,
// and where its value lies in the input.
type rawField struct {
	key        []byte
	start, end int
}

// rewriter holds the scratch space of the rewrites, reused across records
// and nesting levels so that a page costs few allocations.
type rewriter struct {
	fields []rawField
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i].
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errors.New("unterminated string")
}

// valueEnd returns the index just past the value starting at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("unexpected end of JSON")
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated object or array")
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, nil
		}
		j++
	}
	return j, nil
}

// decodeKey returns a string token's value: the bytes between the quotes
// when there is no escape, else the decoded string.
func decodeKey(tok []byte) ([]byte, error) {
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, nil
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// appendString appends the string token tok as encoding/json writes its
// value: as sent when that is already the same, re-encoded otherwise.
func appendString(dst, tok []byte) ([]byte, error) {
	inner := tok[1 : len(tok)-1]
	plain, ascii := true, true
	for _, c := range inner {
		switch {
		case c == '\\' || c == '<' || c == '>' || c == '&':
			plain = false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if plain && !ascii {
		plain = utf8.Valid(inner) && !bytes.Contains(inner, []byte("\u2028")) && !bytes.Contains(inner, []byte("\u2029"))
	}
	if plain {
		return append(dst, tok...), nil
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return nil, err
	}
	return appendGoString(dst, s), nil
}

// appendGoString appends s encoded as encoding/json encodes strings.
func appendGoString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...)
}

// value appends the value starting at b[i] and returns the index after it.
func (w *rewriter) value(dst, b []byte, i int) ([]byte, int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return nil, 0, errors.New("unexpected end of JSON")
	}
	switch b[i] {
	case '{':
		return w.object(dst, b, i, false)
	case '[':
		dst = append(dst, '[')
		i = skipSpace(b, i+1)
		for n := 0; i < len(b) && b[i] != ']'; n++ {
			if n > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, i, err = w.value(dst, b, i); err != nil {
				return nil, 0, err
			}
			if i = skipSpace(b, i); i < len(b) && b[i] == ',' {
				i++
			}
		}
		return append(dst, ']'), i + 1, nil
	case '"':
		end, err := stringEnd(b, i)
		if err != nil {
			return nil, 0, err
		}
		dst, err = appendString(dst, b[i:end])
		return dst, end, err
	}
	end, err := valueEnd(b, i)
	if err != nil {
		return nil, 0, err
	}
	return append(dst, b[i:end]...), end, nil
}

// members collects the members of the object at b[i] on w.fields from
// index base on, renaming a top-level _id to id when record is set, sorted
// by key with only the last of equal keys kept; it returns the index after
// the object.
func (w *rewriter) members(b []byte, i int, record bool) (int, error) {
	base := len(w.fields)
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != '}' {
		kend, err := stringEnd(b, i)
		if err != nil {
			return 0, err
		}
		key, err := decodeKey(b[i:kend])
		if err != nil {
			return 0, err
		}
		if record && string(key) == "_id" {
			key = []byte("id")
		}
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return 0, errors.New("missing colon in object")
		}
		vs := skipSpace(b, i+1)
		ve, err := valueEnd(b, vs)
		if err != nil {
			return 0, err
		}
		w.fields = append(w.fields, rawField{key: key, start: vs, end: ve})
		if i = skipSpace(b, ve); i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	fs := w.fields[base:]
	if !slices.IsSortedFunc(fs, func(x, y rawField) int { return bytes.Compare(x.key, y.key) }) {
		slices.SortStableFunc(fs, func(x, y rawField) int { return bytes.Compare(x.key, y.key) })
	}
	// A map keeps the last value of a repeated key.
	kept := fs[:0]
	for k, f := range fs {
		if k+1 < len(fs) && bytes.Equal(fs[k+1].key, f.key) {
			continue
		}
		kept = append(kept, f)
	}
	w.fields = w.fields[:base+len(kept)]
	return i + 1, nil
}

// object appends the object at b[i] with sorted keys.
func (w *rewriter) object(dst, b []byte, i int, record bool) ([]byte, int, error) {
	base := len(w.fields)
	next, err := w.members(b, i, record)
	if err != nil {
		return nil, 0, err
	}
	defer func() { w.fields = w.fields[:base] }()
	dst = append(dst, '{')
	for k := base; k < len(w.fields); k++ {
		if k > base {
			dst = append(dst, ',')
		}
		f := w.fields[k] // re-read: nested objects may grow w.fields
		dst = appendGoKey(dst, f.key)
		dst = append(dst, ':')
		if dst, _, err = w.value(dst, b, f.start); err != nil {
			return nil, 0, err
		}
	}
	return append(dst, '}'), next, nil
}

// appendGoKey appends a decoded key as encoding/json writes a map key.
func appendGoKey(dst, key []byte) []byte {
	for _, c := range key {
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			return appendGoString(dst, string(key))
		}
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"')
}

// record appends one record as recordOut and encoding/json presented it:
// null as {}, Planhat's _id as id.
func (w *rewriter) record(dst, b []byte, i int) ([]byte, int, error) {
	i = skipSpace(b, i)
	if bytes.HasPrefix(b[i:], []byte("null")) {
		return append(dst, "{}"...), i + 4, nil
	}
	if i >= len(b) || b[i] != '{' {
		return nil, 0, errNotRecord
	}
	return w.object(dst, b, i, true)
}

// eachItem calls fn with the start of every item of the array page (null
// or an empty page has none) and returns how many there were.
func eachItem(page []byte, fn func(i int) (int, error)) (int, error) {
	i := skipSpace(page, 0)
	if bytes.HasPrefix(page[i:], []byte("null")) {
		return 0, nil
	}
	if i >= len(page) || page[i] != '[' {
		return 0, errors.New("a page is not a JSON array")
	}
	n := 0
	for i = skipSpace(page, i+1); i < len(page) && page[i] != ']'; n++ {
		next, err := fn(i)
		if err != nil {
			return 0, fmt.Errorf("record %d: %w", n, err)
		}
		if i = skipSpace(page, next); i < len(page) && page[i] == ',' {
			i = skipSpace(page, i+1)
		}
	}
	return n, nil
}

// recordJSON rewrites one Planhat answer as the generic get and update
// actions return a record.
func recordJSON(raw json.RawMessage) (json.RawMessage, error) {
	var w rewriter
	out, _, err := w.record(make([]byte, 0, len(raw)), raw, 0)
	if err != nil {
		return nil, fmt.Errorf("actions: rewriting the record: %w", err)
	}
	return out, nil
}

// listJSON rewrites a Planhat page as the generic list actions return it:
// {key: records, "count": n, "nextOffset": next} with the keys in sorted
// order, nextOffset only when the page was full (next computes it from n).
func listJSON(page json.RawMessage, key string, next func(n int) (int, bool)) (json.RawMessage, error) {
	var w rewriter
	records := make([]byte, 0, len(page)+2)
	records = append(records, '[')
	n, err := eachItem(page, func(i int) (int, error) {
		if len(records) > 1 {
			records = append(records, ',')
		}
		var end int
		var err error
		records, end, err = w.record(records, page, i)
		return end, err
	})
	if err != nil {
		return nil, fmt.Errorf("actions: rewriting the page: %w", err)
	}
	records = append(records, ']')
	type member struct {
		key string
		val []byte
	}
	ms := []member{{key, records}, {"count", strconv.AppendInt(nil, int64(n), 10)}}
	if off, ok := next(n); ok {
		ms = append(ms, member{"nextOffset", strconv.AppendInt(nil, int64(off), 10)})
	}
	slices.SortFunc(ms, func(x, y member) int { return bytes.Compare([]byte(x.key), []byte(y.key)) })
	out := make([]byte, 0, len(records)+64)
	out = append(out, '{')
	for k, m := range ms {
		if k > 0 {
			out = append(out, ',')
		}
		out = appendGoKey(out, []byte(m.key))
		out = append(out, ':')
		out = append(out, m.val...)
	}
	return append(out, '}'), nil
}
