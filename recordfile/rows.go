package recordfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/planbridge/planbridge/planhat"
)

// Format is a file format of records.
type Format string

const (
	// CSV is comma-separated values with a header row.
	CSV Format = "csv"
	// JSONL is one JSON object per line.
	JSONL Format = "jsonl"
)

// FormatFor picks the format: flag when set, otherwise the extension of path
// (.csv; .jsonl, .ndjson or .json for JSONL).
func FormatFor(path, flag string) (Format, error) {
	if flag != "" {
		switch f := Format(strings.ToLower(flag)); f {
		case CSV, JSONL:
			return f, nil
		}
		return "", fmt.Errorf("unknown format %q: use csv or jsonl", flag)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson", ".json":
		return JSONL, nil
	}
	return "", fmt.Errorf("cannot tell the format of %q from its extension: name it .csv or .jsonl, or pass --format csv|jsonl", path)
}

// customPrefix marks a CSV column holding a custom field.
const customPrefix = "custom."

// maxLine bounds one JSONL line (and so one record), well above Planhat's
// per-request budget, so memory stays bounded on a file with no newlines.
const maxLine = 16 << 20

// Row is one record read from a file.
type Row struct {
	// Line is the 1-based line the record starts on.
	Line int
	// Item is the record as JSON, when the row is valid.
	Item json.RawMessage
	// Err says why the row is invalid; such a row is not sent.
	Err error
}

// RowReader yields rows one at a time, so a file of any size is read in
// constant memory. Next returns io.EOF after the last row; any other error
// ends the file (a row's own problems are in Row.Err).
type RowReader interface {
	Next() (Row, error)
}

// NewReader returns the reader of format f over r, checking rows against m.
func NewReader(f Format, r io.Reader, m *planhat.Model) (RowReader, error) {
	switch f {
	case CSV:
		return NewCSVReader(r, m)
	case JSONL:
		return NewJSONLReader(r, m), nil
	}
	return nil, fmt.Errorf("unknown format %q: use csv or jsonl", f)
}

// CSVReader reads a CSV file with a header row.
type CSVReader struct {
	r      *csv.Reader
	m      *planhat.Model
	header []string
	types  map[string]string
}

// NewCSVReader reads the header of r; an empty file or a bad header is an
// error, since no row could be read without it.
func NewCSVReader(r io.Reader, m *planhat.Model) (*CSVReader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the CSV file is empty: its first line must be the header (e.g. name,externalId,custom.Tier)")
	}
	if err != nil {
		return nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheet byte-order mark
	}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		switch {
		case h == "" || h == customPrefix:
			return nil, fmt.Errorf("CSV header column %d is empty: name every column", i+1)
		case seen[h]:
			return nil, fmt.Errorf("CSV header names %q twice: name each column once", h)
		}
		seen[h] = true
	}
	return &CSVReader{r: cr, m: m, header: header, types: fieldTypes(m)}, nil
}

// Header returns the columns of the file.
func (c *CSVReader) Header() []string { return slices.Clone(c.header) }

// Next reads the next row.
func (c *CSVReader) Next() (Row, error) {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return Row{}, io.EOF
	}
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		return Row{Line: pe.StartLine, Err: errors.New(pe.Err.Error())}, nil
	}
	if err != nil {
		return Row{}, err
	}
	line, _ := c.r.FieldPos(0)
	obj, err := c.object(rec)
	if err == nil {
		err = Validate(c.m, obj)
	}
	if err != nil {
		return Row{Line: line, Err: err}, nil
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return Row{Line: line, Err: err}, nil
	}
	return Row{Line: line, Item: b}, nil
}

// object turns one CSV record into a record.
func (c *CSVReader) object(rec []string) (map[string]any, error) {
	obj := map[string]any{}
	var custom map[string]any
	for i, cell := range rec {
		if cell == "" {
			continue
		}
		col := c.header[i]
		if name, ok := strings.CutPrefix(col, customPrefix); ok {
			v, err := ParseCell(cell, "")
			if err != nil {
				return nil, fmt.Errorf("column %q: %w", col, err)
			}
			if custom == nil {
				custom = map[string]any{}
			}
			custom[name] = v
			continue
		}
		v, err := ParseCell(cell, c.types[col])
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", col, err)
		}
		obj[col] = v
	}
	if custom != nil {
		obj["custom"] = custom
	}
	return obj, nil
}

// ParseCell decodes one CSV cell of a field of JSON Schema type typ ("" for
// a field the model does not document): see the package comment.
func ParseCell(cell, typ string) (any, error) {
	switch typ {
	case "string":
		return cell, nil
	case "number", "integer":
		f, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", cell)
		}
		if typ == "integer" && f != float64(int64(f)) {
			return nil, fmt.Errorf("%q is not a whole number", cell)
		}
		return json.Number(strings.TrimSpace(cell)), nil
	case "boolean":
		b, err := strconv.ParseBool(strings.TrimSpace(cell))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", cell)
		}
		return b, nil
	case "array", "object":
		var v any
		if err := decodeJSON(cell, &v); err != nil {
			return nil, fmt.Errorf("%q is not a JSON %s: %v", cell, typ, err)
		}
		return v, nil
	}
	var v any
	if looksJSON(cell) && decodeJSON(cell, &v) == nil {
		return v, nil
	}
	return cell, nil
}

// looksJSON is a cheap test before decoding a cell of an undocumented field.
func looksJSON(cell string) bool {
	switch {
	case cell == "true" || cell == "false":
		return true
	case cell[0] == '{' || cell[0] == '[' || cell[0] == '"' || cell[0] == '-' || (cell[0] >= '0' && cell[0] <= '9'):
		return true
	}
	return false
}

// decodeJSON decodes exactly one JSON value, keeping numbers exact.
func decodeJSON(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("text after the value")
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return errors.New("text after the value")
	}
	return nil
}

// FormatCell is ParseCell's inverse: the CSV cell of value v of a field of
// type typ, such that ParseCell gives v back.
func FormatCell(v any, typ string) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		if typ == "string" || v == "" || !looksJSON(v) {
			return v, nil
		}
		var probe any
		if decodeJSON(v, &probe) != nil {
			return v, nil
		}
		if typ != "" {
			return v, nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// fieldTypes maps a model's documented fields to their types; keyables and
// companyId are text whatever the documentation says.
func fieldTypes(m *planhat.Model) map[string]string {
	t := map[string]string{}
	if m == nil {
		return t
	}
	for _, f := range m.Fields {
		t[f.Name] = f.Type
	}
	for _, k := range append(slices.Clone(m.Keyables), "_id", "externalId", "sourceId", "companyId", m.CompanyField) {
		if k != "" {
			t[k] = "string"
		}
	}
	return t
}

// Validate checks a record against the model's rules for a new record
// (Required, RequiredOneOf). A record with an _id addresses an existing one,
// which Planhat updates field by field, so it is exempt.
func Validate(m *planhat.Model, obj map[string]any) error {
	if m == nil || !empty(obj["_id"]) {
		return nil
	}
	for _, f := range m.Required {
		if empty(obj[f]) {
			return fmt.Errorf("%q is required for a new %s; add the column, or an _id to update an existing record", f, m.Name)
		}
	}
	for _, alts := range m.RequiredOneOf {
		if !slices.ContainsFunc(alts, func(f string) bool { return !empty(obj[f]) }) {
			return fmt.Errorf("one of %s is required for a new %s", strings.Join(alts, ", "), m.Name)
		}
	}
	return nil
}

func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// JSONLReader reads one JSON object per line; blank lines are skipped.
type JSONLReader struct {
	s    *bufio.Scanner
	m    *planhat.Model
	line int
}

// NewJSONLReader reads r line by line.
func NewJSONLReader(r io.Reader, m *planhat.Model) *JSONLReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &JSONLReader{s: s, m: m}
}

// Next reads the next non-blank line.
func (j *JSONLReader) Next() (Row, error) {
	for j.s.Scan() {
		j.line++
		b := bytes.TrimSpace(j.s.Bytes())
		if len(b) == 0 {
			continue
		}
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&obj); err != nil || obj == nil || d.More() {
			msg := "not a JSON object"
			if err != nil {
				msg = "not a JSON object: " + err.Error()
			}
			return Row{Line: j.line, Err: errors.New(msg)}, nil
		}
		if err := Validate(j.m, obj); err != nil {
			return Row{Line: j.line, Err: err}, nil
		}
		return Row{Line: j.line, Item: bytes.Clone(b)}, nil
	}
	if err := j.s.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Row{}, fmt.Errorf("line %d is longer than %d MB: one record per line", j.line+1, maxLine>>20)
		}
		return Row{}, err
	}
	return Row{}, io.EOF
}
