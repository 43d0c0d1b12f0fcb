package recordfile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/recordfile"
)

func companies(t *testing.T) *planhat.Model {
	t.Helper()
	m, ok := planhat.ModelByName("companies")
	if !ok {
		t.Fatal("no companies model")
	}
	return m
}

// readAll collects rows as "line: item" or "line! error".
func readAll(t *testing.T, rr recordfile.RowReader) []string {
	t.Helper()
	var out []string
	for {
		r, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return append(out, "fatal: "+err.Error())
		}
		if r.Err != nil {
			out = append(out, fmt.Sprintf("%d! %v", r.Line, r.Err))
			continue
		}
		out = append(out, fmt.Sprintf("%d: %s", r.Line, r.Item))
	}
}

func TestRows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format recordfile.Format
		in     string
		want   []string
	}{
		{"csv custom and keyables", recordfile.CSV, "name,externalId,companyId,custom.Tier,custom.Seats,tags\nAcme,00123,extid-9,Gold,12,\"[\"\"a\"\"]\"\n",
			[]string{`2: {"companyId":"extid-9","custom":{"Seats":12,"Tier":"Gold"},"externalId":"00123","name":"Acme","tags":["a"]}`}},
		{"csv empty cells left out, quoted string stays text", recordfile.CSV, "name,custom.Code,mrr\nAcme,\"\"\"42\"\"\",\n",
			[]string{`2: {"custom":{"Code":"42"},"name":"Acme"}`}},
		{"csv missing required", recordfile.CSV, "name,externalId\n,x\n",
			[]string{`2! "name" is required for a new company; add the column, or an _id to update an existing record`}},
		{"csv _id exempt from required", recordfile.CSV, "_id,mrr\nabc,5\n", []string{`2: {"_id":"abc","mrr":5}`}},
		{"csv field count", recordfile.CSV, "name,externalId\nA,1\nB\nC,3\n",
			[]string{`2: {"externalId":"1","name":"A"}`, "3! wrong number of fields", `4: {"externalId":"3","name":"C"}`}},
		{"csv bad quote", recordfile.CSV, "name\n\"A\"x\n", []string{`2! extraneous or missing " in quoted-field`}},
		{"jsonl", recordfile.JSONL, "{\"name\":\"A\"}\n\n{\"name\":\n[1]\n{\"externalId\":\"x\"}\n",
			[]string{`1: {"name":"A"}`, "3! not a JSON object: unexpected EOF", "4! not a JSON object: json: cannot unmarshal array into Go value of type map[string]interface {}",
				`5! "name" is required for a new company; add the column, or an _id to update an existing record`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rr, err := recordfile.NewReader(tt.format, strings.NewReader(tt.in), companies(t))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, readAll(t, rr)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSVHeaderErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "name,,x\n", "name,name\n"} {
		if _, err := recordfile.NewCSVReader(strings.NewReader(in), companies(t)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestFormatFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, flag string
		want       recordfile.Format
		err        bool
	}{
		{"a.csv", "", recordfile.CSV, false},
		{"a.JSONL", "", recordfile.JSONL, false},
		{"a.txt", "jsonl", recordfile.JSONL, false},
		{"a.txt", "", "", true},
		{"a.csv", "xml", "", true},
	}
	for _, tt := range tests {
		got, err := recordfile.FormatFor(tt.path, tt.flag)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("FormatFor(%q, %q) = %q, %v", tt.path, tt.flag, got, err)
		}
	}
}

func emulator(t testing.TB, opts ...planhatemu.Option) (*planhatemu.Server, *planhat.Client) {
	t.Helper()
	emu := planhatemu.New(append([]planhatemu.Option{planhatemu.WithToken("tok"), planhatemu.WithRateLimit(0, 0)}, opts...)...)
	hs := httptest.NewServer(emu.Handler())
	t.Cleanup(hs.Close)
	rl, _ := planhat.ParseRateLimit("0")
	c, err := planhat.NewClient(planhat.Options{Token: "tok", BaseURL: hs.URL, AnalyticsURL: hs.URL, RateLimit: rl})
	if err != nil {
		t.Fatal(err)
	}
	return emu, c
}

func csvCompanies(n int) string {
	var b strings.Builder
	b.WriteString("name,externalId,custom.Tier\n")
	for i := range n {
		fmt.Fprintf(&b, "Company %d,ext-%d,Gold\n", i, i)
	}
	return b.String()
}

func TestImportChunks(t *testing.T) {
	t.Parallel()
	emu, c := emulator(t)
	m := companies(t)
	rr, _ := recordfile.NewCSVReader(strings.NewReader(csvCompanies(12001)), m)
	var confirmed []int
	sum, err := recordfile.Import(context.Background(), planhat.NewResource[json.RawMessage](c, m), rr, recordfile.Options{Confirmed: func(l int) { confirmed = append(confirmed, l) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := emu.Stats().ByRoute["PUT /companies"]; got != 3 {
		t.Errorf("bulk calls = %d, want 3", got)
	}
	if diff := cmp.Diff([]int{5001, 10001, 12002}, confirmed); diff != "" {
		t.Errorf("confirmed lines (-want +got):\n%s", diff)
	}
	if sum.Read != 12001 || sum.Sent != 12001 || sum.Created != 12001 || sum.Calls != 3 || sum.Failed != 0 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestImportDryRunAndErrors(t *testing.T) {
	t.Parallel()
	emu, c := emulator(t)
	m := companies(t)
	in := "name,externalId\nA,1\n,2\nB,3\n"
	for _, dry := range []bool{true, false} {
		rr, _ := recordfile.NewCSVReader(strings.NewReader(in), m)
		var errs bytes.Buffer
		sum, err := recordfile.Import(context.Background(), planhat.NewResource[json.RawMessage](c, m), rr, recordfile.Options{DryRun: dry, Errors: &errs})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Read != 3 || sum.Valid != 2 || sum.Invalid != 1 {
			t.Errorf("dry=%v: summary = %+v", dry, sum)
		}
		if !strings.HasPrefix(errs.String(), `{"line":3,"error":"\"name\" is required`) {
			t.Errorf("dry=%v: errors file = %s", dry, errs.String())
		}
		calls := emu.Stats().ByRoute["PUT /companies"]
		if want := map[bool]int{true: 0, false: 1}[dry]; calls != want {
			t.Errorf("dry=%v: bulk calls = %d, want %d", dry, calls, want)
		}
	}
}

func TestImportCancelStopsAfterChunk(t *testing.T) {
	t.Parallel()
	emu, c := emulator(t)
	m := companies(t)
	ctx, cancel := context.WithCancel(context.Background())
	rr, _ := recordfile.NewCSVReader(strings.NewReader(csvCompanies(30)), m)
	sum, err := recordfile.Import(ctx, planhat.NewResource[json.RawMessage](c, m), rr, recordfile.Options{ChunkSize: 10, Confirmed: func(int) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if sum.Sent != 10 || sum.LastLine != 11 || emu.Stats().ByRoute["PUT /companies"] != 1 {
		t.Errorf("summary = %+v", sum)
	}
	// Resuming after the confirmed line sends the rest.
	rr, _ = recordfile.NewCSVReader(strings.NewReader(csvCompanies(30)), m)
	sum, err = recordfile.Import(context.Background(), planhat.NewResource[json.RawMessage](c, m), rr, recordfile.Options{ChunkSize: 10, AfterLine: 11})
	if err != nil || sum.Sent != 20 || sum.Created != 20 {
		t.Errorf("resume: %+v, %v", sum, err)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, f := range []recordfile.Format{recordfile.CSV, recordfile.JSONL} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			_, c := emulator(t, planhatemu.WithSeed(12))
			m := companies(t)
			var out bytes.Buffer
			es, err := recordfile.Export(context.Background(), c.Objects(m), f, &out)
			if err != nil || es.Records == 0 {
				t.Fatalf("export: %+v, %v", es, err)
			}
			rr, err := recordfile.NewReader(f, &out, m)
			if err != nil {
				t.Fatal(err)
			}
			var errs bytes.Buffer
			sum, err := recordfile.Import(context.Background(), planhat.NewResource[json.RawMessage](c, m), rr, recordfile.Options{Errors: &errs})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Created != 0 || sum.Failed != 0 || sum.Unchanged != es.Records {
				t.Errorf("import back: %+v; errors %s", sum, errs.String())
			}
		})
	}
}

func FuzzCSVRow(f *testing.F) {
	f.Add("name,externalId,custom.Tier\nAcme,1,Gold\n")
	f.Add("name\n\"a\"\"b\"\n")
	f.Add("_id,tags\nx,[1,{\"a\":2}]\n")
	m, _ := planhat.ModelByName("companies")
	f.Fuzz(func(t *testing.T, in string) {
		rr, err := recordfile.NewCSVReader(strings.NewReader(in), m)
		if err != nil {
			return
		}
		for range 1000 {
			r, err := rr.Next()
			if err != nil {
				return
			}
			if r.Err == nil && !json.Valid(r.Item) {
				t.Fatalf("line %d: invalid JSON %s", r.Line, r.Item)
			}
		}
	})
}

// FuzzCellRoundTrip: a string written by FormatCell reads back the same
// string from ParseCell, for a documented string field and an undocumented
// one, so an export of text never comes back as a number or a boolean.
func FuzzCellRoundTrip(f *testing.F) {
	for _, s := range []string{"", "12", "007", "true", "[1]", `"q"`, "-", "12abc", " 12", "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // JSON, and so Planhat, carries only UTF-8
		}
		for _, typ := range []string{"", "string"} {
			cell, err := recordfile.FormatCell(s, typ)
			if err != nil {
				t.Fatal(err)
			}
			if cell == "" {
				continue // an empty cell leaves the field out
			}
			got, err := recordfile.ParseCell(cell, typ)
			if err != nil || got != s {
				t.Fatalf("typ %q: %q -> cell %q -> %#v, %v", typ, s, cell, got, err)
			}
		}
	})
}

func TestExportEmptyIsTemplate(t *testing.T) {
	t.Parallel()
	_, c := emulator(t)
	m := companies(t)
	var out bytes.Buffer
	es, err := recordfile.Export(context.Background(), c.Objects(m), recordfile.CSV, &out)
	if err != nil || es.Records != 0 {
		t.Fatalf("%+v, %v", es, err)
	}
	if !strings.HasPrefix(out.String(), "_id,externalId,sourceId,name,") || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("header = %q", out.String())
	}
	rr, err := recordfile.NewCSVReader(&out, m)
	if err != nil {
		t.Fatal(err)
	}
	if rows := readAll(t, rr); len(rows) != 0 {
		t.Errorf("rows = %v", rows)
	}
}
