package console

import (
	"net/url"
	"testing"
	"time"
)

// FuzzOutboxQuery feeds arbitrary query strings to the outbox page's
// filter parsing: it must never panic, and what it accepts must round-trip
// through the links and hidden fields the page writes.
func FuzzOutboxQuery(f *testing.F) {
	for _, seed := range []string{"", "state=dead", "state=dead&state=available&kind=planhat.conversation&key=k&after=1h&before=2026-12-07T10:00:00Z",
		"afterId=-1", "afterId=99999999999999999999", "after=%ff", "token=abc&dest=d", "state=&state=x"} {
		f.Add(seed)
	}
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := readOutboxQuery(v)
		if err != nil {
			return
		}
		again, err := readOutboxQuery(q.values())
		if err != nil {
			t.Fatalf("%q was accepted, but its own parameters %q are not: %v", raw, q.values().Encode(), err)
		}
		if again.spec().Kind != q.spec().Kind || len(again.States) != len(q.States) {
			t.Fatalf("%q does not round-trip: %+v vs %+v", raw, q, again)
		}
		_, _ = q.spec().Filter(now)
	})
}
