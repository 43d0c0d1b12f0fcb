package actions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
)

// MaxInputBytes bounds the input of one action call; the largest legitimate
// input, a 5,000-item bulk upsert, fits comfortably.
const MaxInputBytes = 32 << 20

// maxFieldErrors bounds the field errors reported for one input, so a
// 5,000-item bulk with one mistake repeated yields a readable message.
const maxFieldErrors = 20

// patternMessages explains, in words, the patterns our schemas use; a raw
// regular expression is no help to a bot builder.
var patternMessages = map[string]string{
	idPattern:          "must be a 24-character Planhat id, extid-<externalId> or srcid-<sourceId>",
	objectIDPattern:    "must be a 24-character Planhat id (24 hex characters)",
	extIDPattern:       "must be a 24-character Planhat id or extid-<externalId>",
	srcIDPattern:       "must be a 24-character Planhat id or srcid-<sourceId>",
	dimensionIDPattern: "must not contain spaces or the characters / ? #",
}

var (
	regexpMu    sync.Mutex
	regexpCache = map[string]*regexp.Regexp{}
)

// compiledPattern returns the compiled pattern, caching it because schemas are
// immutable after registration and patterns are few.
func compiledPattern(p string) (*regexp.Regexp, error) {
	regexpMu.Lock()
	defer regexpMu.Unlock()
	if re, ok := regexpCache[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	regexpCache[p] = re
	return re, nil
}

// parseInput reads raw as one JSON object. Empty input and null mean "no
// fields" (Botpress and CLIs send both for actions without input).
func parseInput(raw []byte) (map[string]any, error) {
	if len(raw) > MaxInputBytes {
		return nil, &InputError{Problem: fmt.Sprintf("the input is %d bytes; the limit is %d bytes: split large bulk upserts into several calls", len(raw), MaxInputBytes)}
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return map[string]any{}, nil
	}
	if !utf8.Valid(trimmed) {
		return nil, &InputError{Problem: "the input is not valid UTF-8 text: send a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &InputError{Problem: "the input is not valid JSON (" + jsonProblem(err) + "): send a JSON object such as {\"id\":\"…\"}"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &InputError{Problem: "the input has extra data after the JSON object: send exactly one JSON object"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &InputError{Problem: "the input must be a JSON object, not " + article(jsonTypeOf(v)) + ": wrap the fields in {…}"}
	}
	return obj, nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "it ends too early"
	}
	return err.Error()
}

// validator checks a decoded JSON instance against a schema and collects
// field-level problems.
type validator struct {
	errs []FieldError
	more int // errors beyond maxFieldErrors
}

func (v *validator) add(path, msg string) {
	if len(v.errs) >= maxFieldErrors {
		v.more++
		return
	}
	if path == "" {
		path = "(input)"
	}
	v.errs = append(v.errs, FieldError{Field: path, Message: msg})
}

// validateInput checks obj against s, removing null-valued optional
// properties on the way (Botpress Studio sends null for fields left empty).
func validateInput(s *jsonschema.Schema, obj map[string]any) []FieldError {
	var v validator
	v.value(s, obj, "")
	if v.more > 0 {
		v.errs = append(v.errs, FieldError{Field: "(input)", Message: fmt.Sprintf("and %d more problems", v.more)})
	}
	return v.errs
}

func (v *validator) value(s *jsonschema.Schema, x any, path string) {
	if s == nil {
		return
	}
	if s.Not != nil && isEmptySchema(s.Not) {
		v.add(path, "is not accepted here: remove it")
		return
	}
	got := jsonTypeOf(x)
	if want := schemaTypes(s); len(want) > 0 && !typeMatches(got, want) {
		v.add(path, "must be "+typeWords(want)+", not "+article(got))
		return
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return jsonEqual(e, x) }) {
		v.add(path, "must be one of "+enumWords(s.Enum))
		return
	}
	switch x := x.(type) {
	case float64:
		v.number(s, x, path)
	case string:
		v.str(s, x, path)
	case []any:
		v.array(s, x, path)
	case map[string]any:
		v.object(s, x, path)
	}
}

func (v *validator) number(s *jsonschema.Schema, n float64, path string) {
	if s.Minimum != nil && n < *s.Minimum {
		v.add(path, "must be >= "+num(*s.Minimum))
	}
	if s.Maximum != nil && n > *s.Maximum {
		v.add(path, "must be <= "+num(*s.Maximum))
	}
	if s.ExclusiveMinimum != nil && n <= *s.ExclusiveMinimum {
		v.add(path, "must be > "+num(*s.ExclusiveMinimum))
	}
	if s.ExclusiveMaximum != nil && n >= *s.ExclusiveMaximum {
		v.add(path, "must be < "+num(*s.ExclusiveMaximum))
	}
}

func (v *validator) str(s *jsonschema.Schema, str string, path string) {
	n := utf8.RuneCountInString(str)
	if s.MinLength != nil && n < *s.MinLength {
		if *s.MinLength == 1 {
			v.add(path, "must not be empty")
		} else {
			v.add(path, fmt.Sprintf("must be at least %d characters long", *s.MinLength))
		}
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		v.add(path, fmt.Sprintf("must be at most %d characters long", *s.MaxLength))
	}
	if s.Pattern != "" && str == "" && (s.MinLength == nil || *s.MinLength == 0) {
		v.add(path, "must not be empty")
	}
	if s.Pattern != "" && str != "" {
		re, err := compiledPattern(s.Pattern)
		if err == nil && !re.MatchString(str) {
			if msg, ok := patternMessages[s.Pattern]; ok {
				v.add(path, msg)
			} else {
				v.add(path, "has the wrong format (expected to match "+strconv.Quote(s.Pattern)+")")
			}
		}
	}
}

func (v *validator) array(s *jsonschema.Schema, arr []any, path string) {
	if s.MinItems != nil && len(arr) < *s.MinItems {
		v.add(path, fmt.Sprintf("must have at least %d %s", *s.MinItems, plural(*s.MinItems, "item")))
	}
	if s.MaxItems != nil && len(arr) > *s.MaxItems {
		v.add(path, fmt.Sprintf("must have at most %d items, not %d: split it into several calls", *s.MaxItems, len(arr)))
		return
	}
	if s.Items != nil {
		for i, item := range arr {
			v.value(s.Items, item, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func (v *validator) object(s *jsonschema.Schema, obj map[string]any, path string) {
	for _, name := range s.Required {
		if x, ok := obj[name]; !ok || x == nil {
			v.add(joinPath(path, name), "required")
		}
	}
	closed := s.AdditionalProperties != nil && s.AdditionalProperties.Not != nil && isEmptySchema(s.AdditionalProperties.Not)
	var unknown []string
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		x := obj[name]
		ps, known := s.Properties[name]
		if x == nil && (known || !closed) {
			if !slices.Contains(s.Required, name) {
				// Optional and empty: treat as absent.
				delete(obj, name)
			}
			continue
		}
		if x == "" && known && !slices.Contains(s.Required, name) && (ps.Pattern != "" || (ps.MinLength != nil && *ps.MinLength > 0)) {
			// An optional field that cannot be empty was left empty (the
			// Botpress Studio sends "" for untouched text fields): absent.
			delete(obj, name)
			continue
		}
		switch {
		case known:
			v.value(ps, x, joinPath(path, name))
		case closed:
			unknown = append(unknown, name)
		default:
			v.value(s.AdditionalProperties, x, joinPath(path, name))
		}
	}
	if len(unknown) > 0 {
		accepted := strings.Join(slices.Sorted(maps.Keys(s.Properties)), ", ")
		for _, name := range unknown {
			v.add(joinPath(path, name), "unknown field: remove it (accepted fields: "+accepted+")")
		}
	}
	if s.MinProperties != nil && len(obj) < *s.MinProperties {
		v.add(path, fmt.Sprintf("must have at least %d %s", *s.MinProperties, plural(*s.MinProperties, "field")))
	}
}

// emptySchemas caches isEmptySchema: comparing a whole Schema by
// reflection on every object of every call was a tenth of validation, and
// schemas do not change once registered.
var emptySchemas sync.Map // *jsonschema.Schema -> bool

// isEmptySchema reports whether s is {} (so {"not":{}} is the false schema).
func isEmptySchema(s *jsonschema.Schema) bool {
	if v, ok := emptySchemas.Load(s); ok {
		return v.(bool)
	}
	empty := reflect.ValueOf(*s).IsZero()
	emptySchemas.Store(s, empty)
	return empty
}

func schemaTypes(s *jsonschema.Schema) []string {
	if s.Type != "" {
		return []string{s.Type}
	}
	return s.Types
}

func typeMatches(got string, want []string) bool {
	for _, w := range want {
		switch {
		case w == got:
			return true
		case w == "number" && got == "integer":
			return true
		}
	}
	return false
}

// jsonTypeOf names the JSON type of a value decoded by encoding/json into
// any (numbers are float64: parseInput does not use json.Number).
func jsonTypeOf(x any) string {
	switch x := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

var typeNouns = map[string]string{
	"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
	"array": "a list", "object": "an object", "null": "null",
}

func article(t string) string {
	if n, ok := typeNouns[t]; ok {
		if t == "boolean" {
			return "a boolean"
		}
		return n
	}
	return t
}

func typeWords(types []string) string {
	words := make([]string, len(types))
	for i, t := range types {
		words[i] = typeNouns[t]
		if words[i] == "" {
			words[i] = t
		}
	}
	return strings.Join(words, " or ")
}

func enumWords(enum []any) string {
	words := make([]string, len(enum))
	for i, e := range enum {
		b, _ := json.Marshal(e)
		words[i] = string(b)
	}
	return strings.Join(words, ", ")
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
