package planhat

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// validCases are checked against json.Valid, which validJSON must agree with.
var validCases = []string{
	``, ` `, `null`, `true`, `false`, `nul`, `nullx`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-`, `1e`, `-1.5e-10`,
	`""`, `"a"`, `"\u00e9"`, `"\u00g9"`, `"\x"`, `"\/"`, "\"a\tb\"", "\"\xff\"", `"unterminated`, `"\`,
	`[]`, `[ ]`, `[1,]`, `[,1]`, `[1 2]`, `[1,[2,[3]]]`, `[`, `]`,
	`{}`, `{ }`, `{"a":1}`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `{"a":{"b":[null,true,"x"]}}`, `{"a":1}}`,
	" \n[{\"_id\":\"x\",\"n\":1}]\t", `[1] [2]`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 100) + strings.Repeat("]", 100),
}

func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	for i, in := range validCases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			if diff := cmp.Diff(json.Valid([]byte(in)), validJSON([]byte(in))); diff != "" {
				t.Errorf("validJSON(%.40q) (-json.Valid +validJSON):\n%s", in, diff)
			}
		})
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, in := range validCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid = %v", b, got, want)
		}
	})
}
