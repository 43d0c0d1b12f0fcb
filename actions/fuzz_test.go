package actions

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// fuzzActions are the actions whose input decoding and validation the
// fuzzer exercises: every schema feature in use appears in one of them.
var fuzzActions = []string{"greet", "createAsset", "listCompanies", "bulkUpsertAssets", "getCompany", "updateCompany",
	"createLicense", "pushMetrics", "trackActivities", "findCompany", "logNote"}

// FuzzCall feeds arbitrary input to actions without a Planhat client: every
// call must end in an *InputError (refused before running) or ErrNoPlanhat
// (accepted and run), never in a panic, and the field-level validator must
// agree with the reference validator of jsonschema-go.
func FuzzCall(f *testing.F) {
	seeds := []struct {
		action int
		input  string
	}{
		{0, `{"name":"ann","times":3,"items":[{"key":"a","score":1.5}],"meta":{"k":"v"},"loud":null}`},
		{0, `{"name":5,"times":"x","tags":[1,null],"extra":true}`},
		{1, `{"name":"Router","companyId":"extid-acme","custom":{"tier":"gold","n":[1,{"a":null}]}}`},
		{1, `{"name":"","companyId":"nope"}`},
		{2, `{"limit":5001,"offset":-1,"filters":{"email":"a@b.test"}}`},
		{2, `{"limit":1e400}`},
		{3, `{"assets":[{"id":"0123456789abcdef01234567","name":"A"},{"companyId":"x"}]}`},
		{4, `{"id":"srcid-\u0000"}`},
		{5, `{"id":"extid-x","name":"New","custom":null}`},
		{6, `{"_currency":"USD","companyId":"extid-a","fromDate":"2026-01-01","mrr":"100"}`},
		{7, `{"metrics":[{"dimensionId":"a b","value":1,"externalId":"x","model":"Deal"}]}`},
		{8, `{"activities":[{"action":"x"}]}`},
		{9, `{"name":"Acme","status":"customer,lost"}`},
		{10, `{"companyId":"extid-a","description":"x","date":"2026-13-45"}`},
		{0, ``}, {0, `null`}, {0, `[]`}, {0, `"x"`}, {0, `{"name":"a"}{}`}, {0, "\xff"}, {0, `{"name":"\ud800"}`},
	}
	for _, s := range seeds {
		f.Add(uint8(s.action), []byte(s.input))
	}
	reg, err := PlanhatRegistry()
	if err != nil {
		f.Fatal(err)
	}
	if err := reg.Add(greetAction()); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, input []byte) {
		name := fuzzActions[int(which)%len(fuzzActions)]
		out, err := reg.testCall(context.Background(), name, input)
		out2, err2 := reg.testCall(context.Background(), name, input)
		if errString(err) != errString(err2) || string(out) != string(out2) {
			t.Fatalf("%s: two calls disagree: %v / %v", name, err, err2)
		}
		var ie *InputError
		if accepted := err == nil || errors.As(err, new(*MissingDepsError)); accepted {
			// The pipeline validates once, with the field-level walk; what it
			// accepts the reference validator of jsonschema-go must accept.
			a, _ := reg.Get(name)
			rs, rerr := a.resolve()
			if rerr != nil {
				t.Fatal(rerr)
			}
			obj, perr := parseInput(input)
			if perr != nil {
				t.Fatalf("%s: accepted input that does not parse: %v", name, perr)
			}
			// The walk drops nulls of optional fields, as the pipeline does
			// before running the action.
			if fields := validateInput(a.Input, obj); len(fields) > 0 {
				t.Fatalf("%s: accepted, but a second walk refuses: %v", name, fields)
			}
			if verr := rs.Validate(obj); verr != nil {
				t.Fatalf("%s: the field-level validator accepted what the reference validator refuses: %v", name, verr)
			}
		}
		switch {
		case err == nil:
			if name != "greet" {
				t.Fatalf("%s ran without a Planhat client", name)
			}
			if !json.Valid(out) {
				t.Fatalf("%s: output is not JSON: %q", name, out)
			}
		case errors.As(err, &ie):
			if len(ie.Fields) == 0 && ie.Problem == "" {
				t.Fatalf("%s: an InputError without any detail", name)
			}
			if info := classifyT(err); info.Code != CodeInvalidInput {
				t.Fatalf("%s: InputError classified %+v", name, info)
			}
		case errors.As(err, new(*MissingDepsError)):
		default:
			t.Fatalf("%s(%q): unexpected error %T: %v", name, input, err, err)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
