package relay

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/planbridge/planbridge/store"
)

func TestTranscriptKeepsTheNewestPartWithinTheLimit(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	conv := store.Conversation{ID: "c1", BotName: "Helper", EndUserName: "Ann"}
	var msgs []store.Message
	for i := range 200 {
		author := "user"
		if i%2 == 1 {
			author = "bot"
		}
		msgs = append(msgs, store.Message{Seq: int64(i + 1), Author: author, Text: fmt.Sprintf("message number %03d <b>&", i), ReceivedAt: base.Add(time.Duration(i) * time.Second)})
	}
	tests := []struct {
		name      string
		total     int // conversation's message count (more than read: older ones not read)
		limit     int
		wantAll   bool
		wantFirst string
	}{
		{name: "all fit", total: 200, limit: 1 << 20, wantAll: true, wantFirst: "message number 000"},
		{name: "cut to the newest", total: 200, limit: 2000},
		{name: "older messages not read", total: 500, limit: 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := conv
			c.Messages = tt.total
			got := transcript(c, msgs, tt.limit)
			if len(got) > tt.limit {
				t.Fatalf("transcript is %d bytes, over the %d limit", len(got), tt.limit)
			}
			if !strings.Contains(got, "message number 199") {
				t.Fatalf("the newest message is missing:\n%s", got)
			}
			if strings.Contains(got, "<b>&") {
				t.Fatalf("message text is not escaped:\n%s", got)
			}
			hasNotice := strings.Contains(got, "earlier messages are not shown")
			if tt.wantAll {
				if hasNotice || !strings.Contains(got, tt.wantFirst) {
					t.Fatalf("want the whole transcript without a notice, got:\n%s", got[:min(len(got), 400)])
				}
				return
			}
			if !hasNotice {
				t.Fatalf("a cut transcript must say so:\n%s", got[:min(len(got), 400)])
			}
			if strings.Count(got, "message number") >= 200 && tt.total == 200 {
				t.Fatal("nothing was cut")
			}
		})
	}
}

func TestTranscriptOfOneHugeMessageKeepsItsEnd(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("é", 5000) + "THE END"
	got := transcript(store.Conversation{Messages: 1}, []store.Message{{Author: "user", Text: text, ReceivedAt: time.Now()}}, 2000)
	if len(got) > 2000 || !strings.Contains(got, "THE END") || !utf8.ValidString(got) {
		t.Fatalf("len %d, valid UTF-8 %v, ends with %q", len(got), utf8.ValidString(got), got[max(0, len(got)-20):])
	}
}

func TestSpeakerNamesEveryAuthor(t *testing.T) {
	t.Parallel()
	conv := store.Conversation{BotName: "Helper", EndUserEmail: "ann@example.com"}
	tests := []struct {
		msg  store.Message
		want string
	}{
		{store.Message{Author: "user"}, "ann@example.com"},
		{store.Message{Author: "user", Name: "Ann"}, "Ann"},
		{store.Message{Author: "bot"}, "Helper (bot)"},
		{store.Message{Author: "agent", Name: "Bob"}, "Bob (agent)"},
		{store.Message{Author: "agent"}, "Agent"},
	}
	for _, tt := range tests {
		if got := speaker(conv, tt.msg); got != tt.want {
			t.Errorf("speaker(%+v) = %q, want %q", tt.msg, got, tt.want)
		}
	}
	if got := speaker(store.Conversation{}, store.Message{Author: "bot"}); got != "Bot" {
		t.Errorf("unnamed bot = %q", got)
	}
}

func TestCheckConversationTypeRefusesReservedTypes(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"chat", "Email", " ticket ", "CALL", ""} {
		if err := CheckConversationType(typ); err == nil {
			t.Errorf("CheckConversationType(%q) = nil, want an error", typ)
		}
	}
	if err := CheckConversationType("Chatbot"); err != nil {
		t.Errorf("Chatbot: %v", err)
	}
}
