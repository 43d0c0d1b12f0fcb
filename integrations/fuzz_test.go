package integrations

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzParsePlanhatWebhook feeds arbitrary automation bodies and paths: the
// parser either refuses with errWebhookBody or yields events whose type is
// declared in the definition and whose payload marshals.
func FuzzParsePlanhatWebhook(f *testing.F) {
	for _, s := range []struct{ path, body string }{
		{"/company/updated", `{"_id":"c1","name":"Acme"}`},
		{"", `{"model":"endUser","action":"created","data":{"_id":"e1"},"botpressUserId":"u1"}`},
		{"/conversation/created", `{"_id":"v1","externalId":"conv_1"}`},
		{"/tasks/delete", `[{"_id":"t1"},{"_id":2}]`},
		{"/x/y/z", `{"model":123,"action":["a"],"data":"str"}`},
		{"//", `{"botpress":{"conversationId":7}}`},
		{"/company", `null`},
		{"", `{"a":1e999}`},
		{"", "{\"model\":\"\xff\"}"},
	} {
		f.Add(s.path, s.body)
	}
	declared := map[string]bool{}
	for _, n := range planhatEventNames() {
		declared[n] = true
	}
	f.Fuzz(func(t *testing.T, path, body string) {
		emits, err := parsePlanhatWebhook(path, []byte(body), fixedNow)
		if err != nil {
			if !errors.Is(err, errWebhookBody) {
				t.Fatalf("error %v does not wrap errWebhookBody", err)
			}
			return
		}
		if len(emits) == 0 || len(emits) > maxWebhookItems {
			t.Fatalf("%d events", len(emits))
		}
		for _, e := range emits {
			if !declared[e.Type] {
				t.Fatalf("undeclared event type %q", e.Type)
			}
			if len(e.Payload.Model) > 64 || len(e.Payload.Action) > 64 {
				t.Fatalf("unbounded labels: %q %q", e.Payload.Model, e.Payload.Action)
			}
			if _, err := json.Marshal(e.Payload); err != nil {
				t.Fatalf("payload does not marshal: %v", err)
			}
		}
	})
}

// FuzzHostPolicyCheckURL checks that whatever URL a configuration carries,
// an accepted one is https on a planhat.com host (the strict policy) or an
// operator-listed host, and that refusals never echo credentials.
func FuzzHostPolicyCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://api.planhat.com", "https://api-eu.planhat.com/", "http://api.planhat.com",
		"https://user:pass@api.planhat.com", "https://api.planhat.com.evil.com", "https://127.0.0.1",
		"https://[::1]:443", "https://planhat.com%2eevil.com", "https://API.PLANHAT.COM:443/x?y#z",
		"https://xn--planht-9ua.com", "//api.planhat.com", "https://api.planhat.com:0",
	} {
		f.Add(s)
	}
	strict := &HostPolicy{Suffixes: []string{".planhat.com"}}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := strict.CheckURL(raw)
		if err != nil {
			if !errors.Is(err, ErrHostNotAllowed) {
				t.Fatalf("error %v does not wrap ErrHostNotAllowed", err)
			}
			if pu, perr := url.Parse(raw); perr == nil && pu.User != nil {
				if pw, ok := pu.User.Password(); ok && len(pw) > 3 && strings.Contains(err.Error(), pw) {
					t.Fatalf("refusal echoes the password: %v", err)
				}
			}
			return
		}
		host := strings.ToLower(u.Hostname())
		if u.Scheme != "https" || u.User != nil || (host != "planhat.com" && !strings.HasSuffix(host, ".planhat.com")) {
			t.Fatalf("accepted %q (scheme %q host %q)", raw, u.Scheme, host)
		}
		if p := u.Port(); p != "" && p != "443" {
			t.Fatalf("accepted port %q in %q", p, raw)
		}
	})
}
