package relay

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/planbridge/planbridge/store"
)

// FuzzTranscript checks the transcript's promises for any messages and
// limit: within the limit, valid UTF-8, and the newest message's end kept.
func FuzzTranscript(f *testing.F) {
	f.Add("hello", "bot reply <b>&amp;</b>", 1000, 3)
	f.Add(string([]byte{0xff, 0xfe}), "é", 1200, 1)
	f.Add("a\nb\nc", "", 5000, 200)
	f.Fuzz(func(t *testing.T, first, last string, limit, n int) {
		if limit < 1000 || limit > 1<<20 || n < 1 || n > 300 || !utf8.ValidString(first) || !utf8.ValidString(last) {
			return
		}
		msgs := make([]store.Message, n)
		for i := range msgs {
			msgs[i] = store.Message{Author: "user", Text: first, ReceivedAt: time.Unix(int64(i), 0)}
		}
		msgs[n-1].Text = last + "END"
		got := transcript(store.Conversation{Messages: n}, msgs, limit)
		if len(got) > limit {
			t.Fatalf("transcript is %d bytes, over the %d limit", len(got), limit)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("transcript is not valid UTF-8")
		}
		if !strings.Contains(got, "END") {
			t.Fatalf("the newest message's end is missing from a %d-byte transcript", len(got))
		}
	})
}
