package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/outbox"
)

func httptestRequest(origin, referer string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://console.test/console/outbox/retry", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	if referer != "" {
		r.Header.Set("Referer", referer)
	}
	return r
}

func TestHistoryKeepsTheLastHourPerMinute(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 10, 0, 30, 0, time.UTC)
	h := NewHistory(func() time.Time { return now })
	d := func(ok, retry, dead, snooze int) outbox.Delivery {
		return outbox.Delivery{Dest: "d", Verdicts: map[outbox.Verdict]int{outbox.Delivered: ok, outbox.Retry: retry, outbox.Fail: dead, outbox.Snooze: snooze}}
	}
	h.Record(d(3, 1, 0, 0))
	h.Record(d(2, 0, 1, 7)) // a snooze is not a failure
	now = now.Add(5 * time.Minute)
	h.Record(d(10, 0, 0, 0))
	s := h.Series("d")
	if len(s) != HistoryMinutes {
		t.Fatalf("%d points", len(s))
	}
	if last := s[HistoryMinutes-1]; last.Delivered != 10 || last.Failed != 0 || !last.Start.Equal(time.Date(2030, 1, 1, 10, 5, 0, 0, time.UTC)) {
		t.Errorf("current minute %+v", last)
	}
	if p := s[HistoryMinutes-6]; p.Delivered != 5 || p.Failed != 2 {
		t.Errorf("five minutes ago %+v, want 5 delivered 2 failed", p)
	}
	// An hour later the old minutes are gone, even though their ring slots are reused.
	now = now.Add(time.Hour)
	h.Record(d(1, 0, 0, 0))
	total := 0
	for _, p := range h.Series("d") {
		total += p.Delivered
	}
	if total != 1 {
		t.Errorf("after an hour the series adds up to %d, want 1", total)
	}
	if got := h.Dests(); len(got) != 1 || got[0] != "d" {
		t.Errorf("Dests %v", got)
	}
	var none *History
	none.Record(d(1, 0, 0, 0))
	if len(none.Series("d")) != HistoryMinutes || none.Dests() != nil {
		t.Error("a nil History is not empty")
	}
}

func TestChartIsNumbersOnly(t *testing.T) {
	t.Parallel()
	pts := make([]Point, HistoryMinutes)
	pts[59] = Point{Delivered: 4, Failed: 1}
	out := charts([]DestinationOverview{{ID: "x", LastHour: pts, DeliveredLastHour: 4, FailedLastHour: 1}})
	svg := string(out["x"])
	for _, want := range []string{`<rect class="ok"`, `<rect class="failed"`, "peak 5/min", `aria-label="deliveries per minute over the last hour: 4 delivered, 1 failed"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q:\n%s", want, svg)
		}
	}
}

// TestTemplatesParse catches a template error in the tests, since the
// server parses them only when the console is first opened.
func TestTemplatesParse(t *testing.T) {
	t.Parallel()
	pages, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"login", "message", "overview", "outbox", "item", "confirm", "handoffs", "sandbox"} {
		if pages[name] == nil {
			t.Errorf("no %s page", name)
		}
	}
}
