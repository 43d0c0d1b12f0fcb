package outboxadmin

import (
	"testing"
	"time"

	"github.com/planbridge/planbridge/store"
)

// FuzzParseTime checks that any text is either refused with a field error
// or read as a time not after now when it is an age.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", "1h", "90s", "2d", "1h30m", "-1h", "2026-12-07T10:00:00Z", "99999999999999999d", "d", "1.5d", "nope"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime("before", s, now)
		if err != nil {
			if _, ok := err.(*FieldError); !ok {
				t.Fatalf("ParseTime(%q) error %T %v, want a *FieldError", s, err, err)
			}
			return
		}
		if _, rfc := time.Parse(time.RFC3339Nano, s); rfc != nil && got.After(now) {
			t.Fatalf("the age %q reads as %s, after now", s, got)
		}
	})
}

// FuzzParseStates checks that what ParseStates accepts is only valid states.
func FuzzParseStates(f *testing.F) {
	for _, s := range []string{"dead", "dead,discarded", " available , running ", "", ",", "DEAD", "nope"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		states, err := ParseStates([]string{s})
		if err != nil {
			return
		}
		for _, st := range states {
			if !store.State(st).Valid() {
				t.Fatalf("ParseStates(%q) accepted %q", s, st)
			}
		}
	})
}
