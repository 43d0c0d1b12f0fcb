package recordfile

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/planbridge/planbridge/planhat"
)

// ExportSummary is what Export wrote.
type ExportSummary struct {
	// Records is the number of records written.
	Records int
	// Columns is the CSV header (nil for JSONL).
	Columns []string
	// Dropped counts fields of later records missing from the CSV header,
	// which was fixed by the first page; JSONL keeps every field.
	Dropped int
}

// Export writes every record of res's model to w in format f, streaming:
// only the first page (MaxLimit records) is held, for CSV, to choose the
// header from the fields it carries.
func Export(ctx context.Context, res *planhat.Resource[planhat.Object], f Format, w io.Writer) (*ExportSummary, error) {
	sum := &ExportSummary{}
	m := res.Model()
	if f == JSONL {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for obj, err := range res.All(ctx, nil) {
			if err != nil {
				return sum, err
			}
			if err := enc.Encode(obj); err != nil {
				return sum, err
			}
			sum.Records++
		}
		return sum, nil
	}
	if f != CSV {
		return nil, fmt.Errorf("unknown format %q: use csv or jsonl", f)
	}
	page := max(m.MaxLimit, 1)
	var first []planhat.Object
	cw := csv.NewWriter(w)
	types := fieldTypes(m)
	var cols []string
	write := func(obj planhat.Object) error {
		rec, dropped, err := csvRecord(obj, cols, types)
		if err != nil {
			return fmt.Errorf("record %s: %w", obj.ID(), err)
		}
		sum.Dropped += dropped
		sum.Records++
		return cw.Write(rec)
	}
	start := func() error {
		cols = Columns(m, first)
		sum.Columns = cols
		if err := cw.Write(cols); err != nil {
			return err
		}
		for _, o := range first {
			if err := write(o); err != nil {
				return err
			}
		}
		first = nil
		return nil
	}
	for obj, err := range res.All(ctx, nil) {
		if err != nil {
			cw.Flush()
			return sum, err
		}
		if cols == nil {
			first = append(first, obj)
			if len(first) < page {
				continue
			}
			if err := start(); err != nil {
				return sum, err
			}
			continue
		}
		if err := write(obj); err != nil {
			return sum, err
		}
	}
	if cols == nil {
		if err := start(); err != nil {
			return sum, err
		}
	}
	cw.Flush()
	return sum, cw.Error()
}

// Columns is the CSV header for records: _id, the other keyables and the
// required fields first, then the other top-level fields, then custom.<Field>
// columns, each group sorted. With no records it is the model's keyables,
// required and documented fields, so an empty export is a template to fill.
func Columns(m *planhat.Model, records []planhat.Object) []string {
	top, custom := map[string]bool{}, map[string]bool{}
	if len(records) == 0 {
		for _, k := range append(append(slices.Clone(m.Keyables), m.Required...), "_id") {
			top[k] = true
		}
		for _, f := range m.Fields {
			top[f.Name] = f.Name != "custom" // custom fields are custom.<Field> columns
		}
	}
	for _, o := range records {
		for k, v := range o {
			if k == "custom" {
				if c, ok := v.(map[string]any); ok {
					for ck := range c {
						custom[ck] = true
					}
					continue
				}
			}
			top[k] = true
		}
	}
	var cols []string
	lead := append([]string{"_id"}, m.Keyables...)
	lead = append(lead, m.Required...)
	for _, k := range lead {
		if top[k] && !slices.Contains(cols, k) {
			cols = append(cols, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if top[k] && !slices.Contains(cols, k) {
			cols = append(cols, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(custom)) {
		cols = append(cols, customPrefix+k)
	}
	return cols
}

// csvRecord lays obj out along cols; dropped counts fields with no column.
func csvRecord(obj planhat.Object, cols []string, types map[string]string) (rec []string, dropped int, err error) {
	rec = make([]string, len(cols))
	used := 0
	custom, _ := obj["custom"].(map[string]any)
	for i, c := range cols {
		var v any
		var ok bool
		typ := ""
		if name, isCustom := strings.CutPrefix(c, customPrefix); isCustom && custom != nil {
			v, ok = custom[name]
		} else if !isCustom {
			v, ok = obj[c]
			typ = types[c]
		}
		if !ok {
			continue
		}
		used++
		if rec[i], err = FormatCell(v, typ); err != nil {
			return nil, 0, err
		}
	}
	total := len(obj)
	if custom != nil {
		total += len(custom) - 1
	}
	return rec, total - used, nil
}
