package actions

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
)

// The records the rewrites are checked on, as Planhat might send them:
// canonical or not, with unicode and escapes, nulls, nested and unsorted
// custom fields, duplicate keys and loose types.
var rawRecords = []struct {
	name string
	json string
}{
	{"plain", `{"_id":"6979fa400007000000000003","name":"Router","companyId":"c1","externalId":"e1","custom":{"Tier":"gold"},"usage":{"logins":3}}`},
	{"planhat order", `{"name":"B","_id":"a2","updatedAt":"2026-01-02T00:00:00.000Z","custom":{"zeta":1,"Alpha":[3,{"y":1,"x":2}],"mid":{"b":null,"a":true}},"companyName":"Acme"}`},
	{"unicode", `{"_id":"a3","name":"Zürich ☃ 😀","companyName":"\u00e9t\u00e9 \ud83d\ude00","sourceId":"a\/b","custom":{"Ünï":"\u2028 line","tab":"a\tb"}}`},
	{"html", `{"_id":"a4","name":"<b>Tom & Jerry</b>","custom":{"<k>":"x>y"}}`},
	{"invalid utf8", "{\"_id\":\"a5\",\"name\":\"bad \xff byte\",\"custom\":{\"k\":\"\xc3\"}}"},
	{"nulls", `{"_id":"a6","name":null,"companyId":null,"custom":null,"usage":null,"externalId":""}`},
	{"empty objects", `{"_id":"a7","custom":{},"usage":{ },"tags":[],"name":""}`},
	{"whitespace", "{ \"_id\" : \"a8\" ,\n\t\"name\" : \"Spaced out\" , \"custom\" : { \"b\" : [ 1 , 2 ] , \"a\" : { } } }"},
	{"duplicate keys", `{"_id":"a9","name":"first","name":"second","custom":{"k":1,"k":2}}`},
	{"loose types", `{"_id":"a10","name":42,"companyId":true,"externalId":["x"],"custom":"not an object","usage":[1]}`},
	{"id field only", `{"id":"a11","name":"No underscore"}`},
	{"numbers", `{"_id":"a12","custom":{"int":-2,"frac":1.5,"small":0.000001,"zero":0,"neg":-0.25,"big":9007199254740993}}`},
	{"escaped key", `{"_id":"a13","n\u0061me":"escaped key","custom":{"\u00fc":1,"u":2}}`},
	{"upper keys", `{"Zed":1,"_id":"a14","ABC":2,"id2":3}`},
}

// oldRecord is the former generic get: decode into an Object, rename _id,
// encode the map.
func oldRecord(t *testing.T, raw string) string {
	t.Helper()
	var o planhat.Object
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(recordOut(o))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// oldListedAsset is the former listAssets conversion of one record.
func oldListedAsset(o planhat.Object) ListedAsset {
	a := assetOut(o)
	u, _ := o["usage"].(map[string]any)
	return ListedAsset{ID: a.ID, Name: a.Name, CompanyID: a.CompanyID, CompanyName: a.CompanyName,
		ExternalID: a.ExternalID, SourceID: a.SourceID, Custom: a.Custom, Usage: u}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRewritesMatchMapRoundTrip(t *testing.T) {
	for _, tc := range rawRecords {
		t.Run(tc.name, func(t *testing.T) {
			var o planhat.Object
			if err := json.Unmarshal([]byte(tc.json), &o); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				what      string
				got, want func() (string, error)
			}{
				{"get", func() (string, error) { b, err := recordJSON(json.RawMessage(tc.json)); return string(b), err },
					func() (string, error) { return oldRecord(t, tc.json), nil }},
				{"getAsset", func() (string, error) { b, err := assetDetailJSON(json.RawMessage(tc.json)); return string(b), err },
					func() (string, error) {
						u, _ := o["usage"].(map[string]any)
						return marshal(t, AssetDetail{AssetOutput: assetOut(o), Usage: u}), nil
					}},
				{"listAssets", func() (string, error) {
					b, err := assetListJSON(json.RawMessage("[" + tc.json + "]"))
					return string(b), err
				},
					func() (string, error) {
						return marshal(t, ListAssetsOutput{Assets: []ListedAsset{oldListedAsset(o)}}), nil
					}},
			}
			for _, tt := range tests {
				got, err := tt.got()
				if err != nil {
					t.Fatalf("%s: %v", tt.what, err)
				}
				want, _ := tt.want()
				if tc.name == "numbers" {
					// float64 rounds 9007199254740993 to ...992: the rewrite
					// keeps Planhat's digits, which is the one difference.
					want = strings.Replace(want, "9007199254740992", "9007199254740993", 1)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (-map round trip +rewrite):\n%s", tt.what, diff)
				}
			}
		})
	}
}

func TestListJSONMatchesMapRoundTrip(t *testing.T) {
	all := make([]string, len(rawRecords))
	for i, r := range rawRecords {
		all[i] = r.json
	}
	tests := []struct {
		name, page, key string
		full            bool
	}{
		{"every record", "[" + strings.Join(all, ",") + "]", "companies", true},
		{"key after count", "[" + all[0] + "]", "users", false},
		{"key before count", "[" + all[1] + "," + all[2] + "]", "assets", true},
		{"pretty page", "[\n  " + strings.Join(all[:3], ",\n  ") + "\n]\n", "endUsers", false},
		{"empty page", "[]", "companies", false},
		{"null page", "null", "companies", false},
		{"null record", "[null]", "companies", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var recs []planhat.Object
			if err := json.Unmarshal([]byte(tc.page), &recs); err != nil {
				t.Fatal(err)
			}
			records := make([]map[string]any, len(recs))
			for i, r := range recs {
				records[i] = recordOut(r)
			}
			old := map[string]any{tc.key: records, "count": len(recs)}
			if tc.full {
				old["nextOffset"] = 10 + len(recs)
			}
			want := strings.Replace(marshal(t, old), "9007199254740992", "9007199254740993", -1)
			got, err := listJSON(json.RawMessage(tc.page), tc.key, func(n int) (int, bool) { return 10 + n, tc.full })
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("(-map round trip +rewrite):\n%s", diff)
			}
		})
	}
}

func TestRewritesKeepBigNumbers(t *testing.T) {
	got, err := recordJSON(json.RawMessage(`{"_id":"x","custom":{"n":123456789012345678901234567890,"f":0.1000000000000000055511151231257827}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"custom":{"f":0.1000000000000000055511151231257827,"n":123456789012345678901234567890},"id":"x"}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRewritesRefuseNonRecords(t *testing.T) {
	tests := []struct {
		name string
		run  func() error
	}{
		{"get of an array", func() error { _, err := recordJSON(json.RawMessage(`[1]`)); return err }},
		{"list item a number", func() error { _, err := listJSON(json.RawMessage(`[{"_id":"a"},1]`), "x", nil); return err }},
		{"list of an object", func() error { _, err := listJSON(json.RawMessage(`{"_id":"a"}`), "x", nil); return err }},
		{"asset page item a string", func() error { _, err := assetListJSON(json.RawMessage(`["a"]`)); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); err == nil {
				t.Error("no error")
			}
		})
	}
}
