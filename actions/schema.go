package actions

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/google/jsonschema-go/jsonschema"
)

// schemaFor infers the JSON Schema of T and tidies it for every door: nullable
// unions become plain types (null is accepted for optional input properties
// by the validator instead, which keeps Botpress and OpenAPI schemas simple),
// and every property gets a title derived from its name.
func schemaFor[T any]() (*jsonschema.Schema, error) {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		return nil, err
	}
	tidySchema(s)
	return s, nil
}

// tidySchema normalises an inferred or hand-built schema in place.
func tidySchema(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) > 0 {
		types := slices.DeleteFunc(slices.Clone(s.Types), func(t string) bool { return t == "null" })
		switch len(types) {
		case 0:
			s.Types = nil
		case 1:
			s.Type, s.Types = types[0], nil
		default:
			s.Types = types
		}
	}
	for name, p := range s.Properties {
		if p.Title == "" {
			p.Title = humanize(name)
		}
		tidySchema(p)
	}
	tidySchema(s.Items)
	tidySchema(s.AdditionalProperties)
}

// acronyms are the name segments that read better in capitals in a title.
var acronyms = map[string]string{
	"id": "ID", "ids": "IDs", "url": "URL", "urls": "URLs", "nps": "NPS", "mrr": "MRR",
	"arr": "ARR", "nrr": "NRR", "api": "API", "ip": "IP", "uuid": "UUID", "csv": "CSV",
}

// humanize turns a JSON property name ("companyId", "insertsKeys", "_currency")
// into a title ("Company ID", "Inserts Keys", "Currency").
func humanize(name string) string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	runes := []rune(name)
	for i, r := range runes {
		switch {
		case r == '_' || r == '-' || r == ' ' || r == '.':
			flush()
		case unicode.IsUpper(r):
			// Break before an upper-case letter unless it continues an
			// acronym ("companyID" stays "ID").
			if i > 0 && (unicode.IsLower(runes[i-1]) || unicode.IsDigit(runes[i-1]) ||
				(i+1 < len(runes) && unicode.IsLower(runes[i+1]) && unicode.IsUpper(runes[i-1]))) {
				flush()
			}
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	for i, w := range words {
		if a, ok := acronyms[strings.ToLower(w)]; ok {
			words[i] = a
			continue
		}
		rs := []rune(w)
		rs[0] = unicode.ToUpper(rs[0])
		words[i] = string(rs)
	}
	return strings.Join(words, " ")
}

// objectSchema builds an object schema from properties; additional says
// whether properties beyond the listed ones are accepted and passed through.
func objectSchema(props map[string]*jsonschema.Schema, required []string, additional bool) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "object", Properties: props, Required: required}
	if additional {
		s.AdditionalProperties = &jsonschema.Schema{}
	} else {
		s.AdditionalProperties = &jsonschema.Schema{Not: &jsonschema.Schema{}}
	}
	order := slices.Sorted(maps.Keys(props))
	// Required properties first, so forms and docs show them at the top.
	slices.SortStableFunc(order, func(a, b string) int {
		ra, rb := slices.Contains(required, a), slices.Contains(required, b)
		switch {
		case ra && !rb:
			return -1
		case rb && !ra:
			return 1
		}
		return 0
	})
	s.PropertyOrder = order
	tidySchema(s)
	return s
}

// prop builds a property schema of the given JSON type with a description.
func prop(typ, description string) *jsonschema.Schema {
	return &jsonschema.Schema{Type: typ, Description: description}
}

// arrayProp builds an array property whose items follow items.
func arrayProp(description string, items *jsonschema.Schema) *jsonschema.Schema {
	return &jsonschema.Schema{Type: "array", Description: description, Items: items}
}

// mapProp builds an object property with free-form keys whose values follow values.
func mapProp(description string, values *jsonschema.Schema) *jsonschema.Schema {
	return &jsonschema.Schema{Type: "object", Description: description, AdditionalProperties: values}
}

// checkSchemaDocs reports every property, at any depth, that lacks a title or
// a description; Botpress's linter rejects such definitions.
func checkSchemaDocs(s *jsonschema.Schema, path string) []error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		p := s.Properties[name]
		at := joinPath(path, name)
		if strings.TrimSpace(p.Title) == "" {
			errs = append(errs, fmt.Errorf("%s: no title", at))
		}
		if strings.TrimSpace(p.Description) == "" {
			errs = append(errs, fmt.Errorf("%s: no description", at))
		}
		errs = append(errs, checkSchemaDocs(p, at)...)
	}
	errs = append(errs, checkSchemaDocs(s.Items, path+"[]")...)
	if ap := s.AdditionalProperties; ap != nil && ap.Not == nil {
		errs = append(errs, checkSchemaDocs(ap, path+".*")...)
	}
	return errs
}

// joinPath appends a property name to a field path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
