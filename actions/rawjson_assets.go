package actions

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
)

// assetField is one output field of an asset in the upstream shapes: the
// Planhat field it comes from, whether it is an object (custom, usage)
// rather than a string, and whether it is written even when empty (no
// omitempty on the struct field).
type assetField struct {
	out, from string
	object    bool
	always    bool
}

// Output orders and emptiness rules of ListedAsset and AssetDetail, field
// for field, so the rewrite writes what encoding them wrote.
var (
	listedAssetFields = []assetField{{"id", "_id", false, true}, {"name", "name", false, false}, {"companyId", "companyId", false, false},
		{"companyName", "companyName", false, false}, {"externalId", "externalId", false, false}, {"sourceId", "sourceId", false, false},
		{"custom", "custom", true, false}, {"usage", "usage", true, false}}
	assetDetailFields = []assetField{{"id", "_id", false, true}, {"name", "name", false, true}, {"companyId", "companyId", false, true},
		{"companyName", "companyName", false, false}, {"externalId", "externalId", false, false}, {"sourceId", "sourceId", false, false},
		{"custom", "custom", true, false}, {"usage", "usage", true, false}}
)

// find returns the value of key among the members collected from base on
// (sorted, one per key), or nil.
func (w *rewriter) find(b []byte, base int, key string) []byte {
	for _, f := range w.fields[base:] {
		if string(f.key) == key {
			return b[f.start:f.end]
		}
	}
	return nil
}

// asset appends the asset at b[i] in the upstream shape fields describes:
// string fields only when Planhat's value is a non-empty string, objects
// only when non-empty, as assetOut and str read them; id falls back to a
// record's own id field.
func (w *rewriter) asset(dst, b []byte, i int, fields []assetField) ([]byte, int, error) {
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '{' {
		if bytes.HasPrefix(b[i:], []byte("null")) {
			return emptyAsset(dst, fields), i + 4, nil
		}
		return nil, 0, errNotRecord
	}
	base := len(w.fields)
	next, err := w.members(b, i, false)
	if err != nil {
		return nil, 0, err
	}
	defer func() { w.fields = w.fields[:base] }()
	dst = append(dst, '{')
	first := true
	for _, f := range fields {
		v := w.find(b, base, f.from)
		if f.out == "id" && !isString(v) || f.out == "id" && string(v) == `""` {
			if alt := w.find(b, base, "id"); isString(alt) {
				v = alt
			}
		}
		object := f.object && isNonEmptyObject(v)
		str := !f.object && isString(v) && string(v) != `""`
		if !object && !str && !f.always {
			continue
		}
		// The member is written straight into dst: no value is built apart
		// and copied, which on a page of records was an allocation each.
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, f.out...)
		dst = append(dst, '"', ':')
		switch {
		case object:
			if dst, _, err = w.object(dst, v, 0, false); err != nil {
				return nil, 0, err
			}
		case str:
			if dst, err = appendString(dst, v); err != nil {
				return nil, 0, err
			}
		default:
			dst = append(dst, `""`...)
		}
	}
	return append(dst, '}'), next, nil
}

// emptyAsset writes an asset with no fields (Planhat answered null).
func emptyAsset(dst []byte, fields []assetField) []byte {
	dst = append(dst, '{')
	first := true
	for _, f := range fields {
		if !f.always {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, `"`+f.out+`":""`...)
	}
	return append(dst, '}')
}

func isString(v []byte) bool { return len(v) > 0 && v[0] == '"' }

func isNonEmptyObject(v []byte) bool {
	return len(v) > 0 && v[0] == '{' && skipSpace(v, 1) < len(v) && v[skipSpace(v, 1)] != '}'
}

// assetListJSON rewrites a Planhat page of assets as listAssets returns it.
func assetListJSON(page json.RawMessage) (json.RawMessage, error) {
	var w rewriter
	out := make([]byte, 0, len(page)+16)
	out = append(out, `{"assets":[`...)
	n0 := len(out)
	_, err := eachItem(page, func(i int) (int, error) {
		if len(out) > n0 {
			out = append(out, ',')
		}
		var end int
		var err error
		out, end, err = w.asset(out, page, i, listedAssetFields)
		return end, err
	})
	if err != nil {
		return nil, fmt.Errorf("actions: rewriting the page of assets: %w", err)
	}
	return append(out, "]}"...), nil
}

// assetDetailJSON rewrites a Planhat asset as getAsset returns it.
func assetDetailJSON(raw json.RawMessage) (json.RawMessage, error) {
	var w rewriter
	out, _, err := w.asset(make([]byte, 0, len(raw)), raw, 0, assetDetailFields)
	if err != nil {
		return nil, fmt.Errorf("actions: rewriting the asset: %w", err)
	}
	return out, nil
}

// mustSchema infers the schema of an output type for actions whose run
// function returns already encoded JSON of that shape.
func mustSchema[T any]() *jsonschema.Schema {
	s, err := schemaFor[T]()
	if err != nil {
		panic(fmt.Sprintf("actions: output schema: %v", err))
	}
	return s
}
