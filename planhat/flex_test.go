package planhat_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

func TestFlexDecoding(t *testing.T) {
	t.Parallel()
	type all struct {
		S  planhat.FlexString  `json:"s"`
		B  planhat.FlexBool    `json:"b"`
		N  planhat.FlexNumber  `json:"n"`
		L  planhat.FlexStrings `json:"l"`
		T  planhat.FlexTime    `json:"t"`
		D  planhat.EpochDays   `json:"d"`
		U  planhat.UserRef     `json:"u"`
		R  []planhat.Ref       `json:"r"`
		CU []planhat.ConversationUser
	}
	day := time.Date(2021, 7, 29, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want all
	}{
		{"canonical", `{"s":"x","b":true,"n":1.5,"l":["a","b"],"t":"2021-07-29T15:29:34.330Z","d":18837,"u":"58e2","r":[{"id":"1","name":"Lara"}]}`,
			all{S: "x", B: true, N: 1.5, L: planhat.FlexStrings{"a", "b"}, T: planhat.NewTime(time.Date(2021, 7, 29, 15, 29, 34, 330e6, time.UTC)), D: 18837, U: planhat.UserRef{ID: "58e2"}, R: []planhat.Ref{{ID: "1", Name: "Lara"}}}},
		{"comma strings, empty booleans, numbers for strings", `{"s":12,"b":"","n":"2","l":",id1,id2,","t":"","d":"2021-07-29","u":{"_id":"58e2","nickName":"Alex"},"r":["1","2"]}`,
			all{S: "12", N: 2, L: planhat.FlexStrings{"id1", "id2"}, D: planhat.DaysOf(day), U: planhat.UserRef{ID: "58e2", NickName: "Alex"}, R: []planhat.Ref{{ID: "1"}, {ID: "2"}}}},
		{"nulls", `{"s":null,"b":null,"n":null,"l":null,"t":null,"d":null,"u":null,"r":null}`, all{}},
		{"truthy strings and numbers", `{"b":"yes","n":true,"l":7,"t":1627572574330,"d":18837.9}`,
			all{B: true, N: 1, L: planhat.FlexStrings{"7"}, T: planhat.NewTime(time.UnixMilli(1627572574330).UTC()), D: 18837}},
		{"falsy", `{"b":0,"l":"","d":""}`, all{}},
		{"date only", `{"t":"2021-07-29"}`, all{T: planhat.NewTime(day)}},
		{"objects in id lists", `{"l":[{"_id":"a"},{"id":"b"},3]}`, all{L: planhat.FlexStrings{"a", "b", "3"}}},
		{"conversation users as ids or objects", `{"CU":["u1",{"id":"u2","name":"Alex","isOwner":"true"}]}`,
			all{CU: []planhat.ConversationUser{{ID: "u1"}, {ID: "u2", Name: "Alex", IsOwner: true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got all
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestModelsKeepUnknownFields(t *testing.T) {
	t.Parallel()
	in := `{"_id":"c1","name":"Acme","orgUnits":3,"h":"7","custom":{"Plan":"Pro"},"brandNew":{"x":[1,2]},"externalId":42,"tags":["a"],"owner":{"_id":"u","nickName":"N"},"users":"not-a-list"}`
	var c planhat.Company
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if c.ExternalID != "42" || c.Health != 7 || c.Owner.ID != "u" || c.Custom["Plan"] != "Pro" {
		t.Errorf("decoded %+v", c)
	}
	wantExtra := map[string]string{"orgUnits": "3", "brandNew": `{"x":[1,2]}`, "users": `"not-a-list"`}
	gotExtra := map[string]string{}
	for k, v := range c.Extra {
		gotExtra[k] = string(v)
	}
	if diff := cmp.Diff(wantExtra, gotExtra); diff != "" {
		t.Errorf("Extra (-want +got):\n%s", diff)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_id":"c1","name":"Acme","externalId":"42","owner":"u","tags":["a"],"h":7,"custom":{"Plan":"Pro"},"brandNew":{"x":[1,2]},"orgUnits":3,"users":"not-a-list"}`
	if string(out) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", out, want)
	}
}

// TestQuirksFromTheEmulator reads records through every quirk switch at once.
func TestQuirksFromTheEmulator(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sw := planhatemu.Switches{CommaStringLists: true, EmptyStringBooleans: true, NumbersForStrings: true, ConversationEnduserIDs: true, ListShapeOwners: true}
	e := newEnv(t, []planhatemu.Option{planhatemu.WithSwitches(sw)}, nil)
	userID := e.srv.Insert("users", map[string]any{"nickName": "Alex", "email": "a@x.test"})
	coID := e.srv.Insert("companies", map[string]any{"name": "Acme", "domains": []any{"acme.test", "acme.example"}, "orgPath": []any{"p1", "p2"}, "owner": userID, "orgUnits": "4"})
	euID := e.srv.Insert("endusers", map[string]any{"email": "ann@acme.test", "companyId": coID, "featured": false, "beatTrend": "3", "experience": "12"})
	e.srv.Insert("conversations", map[string]any{"type": "note", "companyId": coID, "endusers": []any{map[string]any{"id": euID, "name": "Ann"}}, "hasMore": false})

	cos, err := e.c.Companies().List(ctx, nil)
	if err != nil || len(cos) != 1 {
		t.Fatalf("companies: %v %v", cos, err)
	}
	if diff := cmp.Diff(planhat.FlexStrings{"acme.test", "acme.example"}, cos[0].Domains); diff != "" {
		t.Errorf("domains (-want +got):\n%s", diff)
	}
	if cos[0].Owner.ID != userID {
		t.Errorf("list-shape owner = %+v", cos[0].Owner)
	}
	got, err := e.c.Companies().Get(ctx, planhat.ID(coID))
	if err != nil || got.Owner.ID != userID || len(got.OrgPath) != 2 {
		t.Errorf("get: %+v %v", got, err)
	}
	eu, err := e.c.EndUsers().Get(ctx, planhat.ID(euID))
	if err != nil || eu.Featured || eu.BeatTrend != 3 || eu.Experience != "12" {
		t.Errorf("enduser: %+v %v", eu, err)
	}
	convs, err := e.c.Conversations().List(ctx, nil)
	if err != nil || len(convs) != 1 || len(convs[0].EndUsers) != 1 || convs[0].EndUsers[0].ID != euID || convs[0].HasMore {
		t.Errorf("conversations: %+v %v", convs, err)
	}
}

// FuzzFlexDecoders feeds arbitrary JSON to every tolerant decoder: none may panic, and
// whatever decodes must encode and decode again to the same value.
func FuzzFlexDecoders(f *testing.F) {
	for _, s := range []string{`""`, `"a,b,"`, `",x,"`, `true`, `0`, `-1.5e3`, `null`, `{"_id":"x","nickName":"y"}`, `["a",{"id":"b"},1]`,
		`"2021-07-29T15:29:34.330Z"`, `"2021-07-29"`, `1627572574330`, `"18837"`, `{}`, `[]`, `"yes"`, `1e308`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		targets := []func() any{
			func() any { return new(planhat.FlexString) }, func() any { return new(planhat.FlexBool) },
			func() any { return new(planhat.FlexNumber) }, func() any { return new(planhat.FlexStrings) },
			func() any { return new(planhat.FlexTime) }, func() any { return new(planhat.EpochDays) },
			func() any { return new(planhat.UserRef) }, func() any { return new(planhat.Ref) },
			func() any { return new(planhat.ConversationUser) }, func() any { return new(planhat.BulkItemError) },
			func() any { return new(planhat.BulkResult) },
		}
		for _, newT := range targets {
			v := newT()
			if json.Unmarshal(data, v) != nil {
				continue
			}
			enc, err := json.Marshal(v)
			if err != nil {
				if _, ok := v.(*planhat.FlexTime); ok {
					continue // years outside 0-9999 cannot be encoded
				}
				t.Fatalf("%T decoded %q but does not encode: %v", v, data, err)
			}
			w := newT()
			if err := json.Unmarshal(enc, w); err != nil {
				t.Fatalf("%T: %q re-encoded as %s, which does not decode: %v", v, data, enc, err)
			}
			switch v := v.(type) {
			case *planhat.BulkItemError:
				continue // keeps the raw element
			case *planhat.UserRef:
				// Writes take the id only; the nickname is read-side information.
				if v.ID != w.(*planhat.UserRef).ID {
					t.Fatalf("UserRef id changed: %q -> %q", v.ID, w.(*planhat.UserRef).ID)
				}
				continue
			}
			if diff := cmp.Diff(v, w); diff != "" {
				t.Fatalf("%T: %q round trip changed the value (-first +second):\n%s", v, data, diff)
			}
		}
	})
}

// FuzzModelDecoding checks that a typed model never rejects a well-formed JSON object.
func FuzzModelDecoding(f *testing.F) {
	for _, s := range []string{`{}`, `{"_id":1,"name":["x"],"owner":{"_id":"u"},"custom":"x","domains":",a,"}`,
		`{"users":"x","endusers":[1,{"id":2}],"date":true,"hasMore":""}`, `{"invoiceDate":"2021-07-29","cId":{"x":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var probe map[string]json.RawMessage
		if json.Unmarshal(data, &probe) != nil || probe == nil {
			return
		}
		for _, v := range []any{new(planhat.Company), new(planhat.Conversation), new(planhat.EndUser), new(planhat.Invoice), new(planhat.NPS)} {
			if err := json.Unmarshal(data, v); err != nil {
				t.Fatalf("%T rejected the object %s: %v", v, data, err)
			}
			if _, err := json.Marshal(v); err != nil {
				// Only invalid times may fail to encode.
				t.Logf("%T from %s does not encode: %v", v, data, err)
			}
		}
	})
}
