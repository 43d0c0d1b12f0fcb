package handoff

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/planfix"
)

func TestBotpressContent(t *testing.T) {
	tests := []struct {
		typ, payload string
		text         string
		atts         []planfix.Attachment
	}{
		{"text", `{"text":"hi","userId":"u"}`, "hi", nil},
		{"image", `{"imageUrl":"https://x/a.png"}`, "", []planfix.Attachment{{Name: "a.png", URL: "https://x/a.png"}}},
		{"file", `{"fileUrl":"https://x/f","title":"Invoice.pdf"}`, "", []planfix.Attachment{{Name: "Invoice.pdf", URL: "https://x/f"}}},
		{"bloc", `{"items":[{"type":"text","payload":{"text":"see"}},{"type":"audio","payload":{"audioUrl":"https://x/v.ogg"}},{"type":"video","payload":{"videoUrl":"https://x/m.mp4"}}]}`,
			"see", []planfix.Attachment{{Name: "v.ogg", URL: "https://x/v.ogg"}, {Name: "m.mp4", URL: "https://x/m.mp4"}}},
		{"choice", `{"text":"Pick one"}`, "Pick one", nil},
		{"weird", `{}`, "[weird]", nil},
	}
	for _, tc := range tests {
		text, atts := BotpressContent(tc.typ, json.RawMessage(tc.payload))
		if d := cmp.Diff(tc.text, text); d != "" {
			t.Errorf("%s text (-want +got):\n%s", tc.typ, d)
		}
		if d := cmp.Diff(tc.atts, atts); d != "" {
			t.Errorf("%s attachments (-want +got):\n%s", tc.typ, d)
		}
	}
}

func TestAgentParts(t *testing.T) {
	m := &planfix.InboundMessage{Text: "Here", Attachments: []planfix.Attachment{
		{Name: "a.JPG", URL: "u1"}, {Name: "s.mp3", URL: "u2"}, {Name: "c.mov", URL: "u3"}, {Name: "d.zip", URL: "u4"}}}
	var types []string
	for _, p := range agentParts(m) {
		types = append(types, p.Type)
	}
	if d := cmp.Diff([]string{"text", "image", "audio", "video", "file"}, types); d != "" {
		t.Errorf("types (-want +got):\n%s", d)
	}
}

func TestAgentKeyPrefersThePlanfixUserID(t *testing.T) {
	tests := []struct {
		m    planfix.InboundMessage
		want string
	}{
		{planfix.InboundMessage{UserName: "Ivan", UserIco: "https://a.planfix.ru/?action=getuserpic&id=77"}, "planfix-user:77"},
		{planfix.InboundMessage{UserName: "Ivan", UserLastName: "Petrov"}, "planfix-name:ivan petrov"},
		{planfix.InboundMessage{}, "planfix-name:planfix agent"},
	}
	for _, tc := range tests {
		if got := agentKey(&tc.m); got != tc.want {
			t.Errorf("agentKey(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestContactIDIsStableByEmail(t *testing.T) {
	if ContactID("Ann@Acme.test ", "u1") != ContactID("ann@acme.test", "u2") {
		t.Errorf("the same email gave two contact ids")
	}
	if ContactID("", "u1") == ContactID("", "u2") {
		t.Errorf("two users without email share a contact id")
	}
}
