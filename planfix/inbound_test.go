package planfix

import (
	"testing"
	"time"
)

func TestDedupKey(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 10, 0, 5, 0, time.UTC)
	m := InboundMessage{ProviderID: "p", ChatID: "c", Text: "hi", Attachments: []Attachment{{"a", "https://p/1"}}}
	same := m
	tests := []struct {
		name  string
		a, b  string
		equal bool
	}{
		{"same minute", m.DedupKey(at), same.DedupKey(at.Add(50 * time.Second)), true},
		{"next minute", m.DedupKey(at), m.DedupKey(at.Add(time.Minute)), false},
		{"other text", m.DedupKey(at), (&InboundMessage{ProviderID: "p", ChatID: "c", Text: "hi!", Attachments: m.Attachments}).DedupKey(at), false},
		{"field boundaries", (&InboundMessage{ChatID: "ab", Text: "c"}).DedupKey(at), (&InboundMessage{ChatID: "a", Text: "bc"}).DedupKey(at), false},
		{"messageId wins", (&InboundMessage{MessageID: "5000", Text: "x"}).DedupKey(at), (&InboundMessage{MessageID: "5000", Text: "y"}).DedupKey(at.Add(time.Hour)), true},
	}
	for _, tt := range tests {
		if (tt.a == tt.b) != tt.equal {
			t.Errorf("%s: %q vs %q, want equal=%v", tt.name, tt.a, tt.b, tt.equal)
		}
	}
	if k := (&InboundMessage{MessageID: "5000"}).DedupKey(at); k != "m:5000" {
		t.Errorf("DedupKey = %q", k)
	}
}
