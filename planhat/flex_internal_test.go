package planhat

import (
	"reflect"
	"testing"
)

func TestAllKeysKnown(t *testing.T) {
	known := knownFields(reflect.TypeFor[LeanCompany]())
	tests := []struct {
		in   string
		want bool
	}{
		{`{}`, true},
		{`null`, true},
		{`{"_id":"a","name":"x"}`, true},
		{`{"_id":"a","nested":{"name":1}}`, false},
		{`{"name":{"unknownInside":[{"x":1}]},"slug":"s"}`, true},
		{`{"name":"a,\"b\":1","slug":"}"}`, true},
		{`{"na\u006de":"escaped key"}`, false},
		{` { "_id" : [ "x" , { "y" : 1 } ] , "extra" : 2 } `, false},
	}
	for _, tt := range tests {
		if got := allKeysKnown([]byte(tt.in), known); got != tt.want {
			t.Errorf("allKeysKnown(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestHasKeyable(t *testing.T) {
	tests := []struct {
		m    *Model
		in   string
		want bool
	}{
		{ModelCompany, `{"name":"a"}`, false},
		{ModelCompany, `{"name":"a","externalId":"x"}`, true},
		{ModelCompany, `{"externalId":"","sourceId":null,"_id":"  "}`, false},
		{ModelCompany, `{"custom":{"externalId":"nested"},"name":"a"}`, false},
		{ModelCompany, `{"sourceId":12}`, true},
		{ModelCompany, `{"email":"a@b.c"}`, false},
		{ModelEndUser, `{"email":"a@b.c"}`, false}, // email is not unique: never retry-safe
		{ModelInvoice, `{"extId":"inv-1"}`, true},
		{ModelInvoice, `{"externalId":"inv-1"}`, false},
		{ModelChurn, `{"externalId":"x"}`, false},
		{ModelCompany, ` { "name" : "a\"b" , "_id" : "6102e3b08084189dcbf0e3f0" } `, true},
	}
	for _, tt := range tests {
		if got := hasKeyable(tt.m, []byte(tt.in)); got != tt.want {
			t.Errorf("hasKeyable(%s, %s) = %v, want %v", tt.m.Name, tt.in, got, tt.want)
		}
	}
}

func FuzzEachMember(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":[1,{"c":"}"}],"d":"x\"y"}`, `{"a":`, `[1]`, `"x"`, `{"a":"\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Must never panic or loop, whatever the input.
		n := 0
		eachMember(data, func(key, value []byte, _ bool) bool {
			n++
			return n < 1000
		})
		allKeysKnown(data, map[string]int{"a": 0})
	})
}
