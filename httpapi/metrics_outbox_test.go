package httpapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/store"
)

// scrape fetches /metrics and returns its lines that start with prefix,
// comments left out.
func scrape(t *testing.T, base, prefix string) []string {
	t.Helper()
	a := roundtrip.Do(t, http.MethodGet, base+"/metrics", "", "", nil)
	if a.Status != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", a.Status, a.Body)
	}
	var out []string
	for line := range strings.SplitSeq(a.Body, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return out
}

// fakeClock is a settable clock for the scrape cache.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestOutboxGauges scrapes the outbox gauges: every state, dead letters,
// the oldest pending age, the backlog per destination and kind, read once
// per second however often /metrics is scraped.
func TestOutboxGauges(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: adminNow}
	st := &fakeStore{stats: store.Stats{
		ByState: map[store.State]int{store.StateAvailable: 5, store.StateRunning: 2, store.StateDead: 1, store.StateCompleted: 40},
		Groups: []store.GroupStats{
			{Dest: "ab12", Kind: "planhat.conversation", Available: 4, Running: 2, Dead: 1, OldestPending: adminNow.Add(-time.Minute)},
			{Dest: "cd34", Kind: "planhat.activity", Available: 1},
		},
		OldestPending: adminNow.Add(-time.Minute),
	}}
	base, m := adminServer(t, st)
	m.ObserveOutbox(st)
	httpapi.SetOutboxScrapeClock(m, clock.Now, time.Second)

	want := []string{
		`planbridge_outbox_backlog{dest="ab12",kind="planhat.conversation"} 6`,
		`planbridge_outbox_backlog{dest="cd34",kind="planhat.activity"} 1`,
		`planbridge_outbox_dead_letters 1`,
		`planbridge_outbox_items{state="available"} 5`,
		`planbridge_outbox_items{state="completed"} 40`,
		`planbridge_outbox_items{state="dead"} 1`,
		`planbridge_outbox_items{state="discarded"} 0`,
		`planbridge_outbox_items{state="running"} 2`,
		`planbridge_outbox_oldest_pending_seconds 60`,
		`planbridge_outbox_store_up 1`,
	}
	if diff := cmp.Diff(want, scrape(t, base, "planbridge_outbox_")); diff != "" {
		t.Errorf("first scrape (-want +got):\n%s", diff)
	}

	// Within the second the statistics are reused, only ages move on.
	st.mu.Lock()
	st.stats = store.Stats{ByState: map[store.State]int{store.StateCompleted: 47}}
	st.mu.Unlock()
	clock.Add(500 * time.Millisecond)
	got := scrape(t, base, "planbridge_outbox_oldest_pending_seconds")
	if diff := cmp.Diff([]string{"planbridge_outbox_oldest_pending_seconds 60.5"}, got); diff != "" {
		t.Errorf("cached scrape (-want +got):\n%s", diff)
	}
	if calls, _, _, _ := st.calls(); calls != 1 {
		t.Errorf("Stats called %d times in two scrapes within a second, want 1", calls)
	}

	clock.Add(600 * time.Millisecond)
	want = []string{
		`planbridge_outbox_dead_letters 0`,
		`planbridge_outbox_items{state="available"} 0`,
		`planbridge_outbox_items{state="completed"} 47`,
		`planbridge_outbox_items{state="dead"} 0`,
		`planbridge_outbox_items{state="discarded"} 0`,
		`planbridge_outbox_items{state="running"} 0`,
		`planbridge_outbox_oldest_pending_seconds 0`,
		`planbridge_outbox_store_up 1`,
	}
	if diff := cmp.Diff(want, scrape(t, base, "planbridge_outbox_")); diff != "" {
		t.Errorf("scrape after a second (-want +got):\n%s", diff)
	}
}

// TestOutboxGaugesStoreDown checks a failing or hanging store leaves
// /metrics answering, with planbridge_outbox_store_up 0 and the other
// outbox gauges absent rather than stale.
func TestOutboxGaugesStoreDown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		st   *fakeStore
	}{
		{"failing", &fakeStore{err: errors.New("database is locked")}},
		{"hanging", &fakeStore{block: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := httpapi.NewMetrics()
			m.ObserveOutbox(tc.st)
			httpapi.SetOutboxScrapeClock(m, time.Now, 50*time.Millisecond)
			hs := httptest.NewServer(m.Handler())
			t.Cleanup(hs.Close)
			start := time.Now()
			got := scrape(t, hs.URL, "planbridge_outbox_")
			if diff := cmp.Diff([]string{"planbridge_outbox_store_up 0"}, got); diff != "" {
				t.Errorf("scrape (-want +got):\n%s", diff)
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("scrape took %s on a hanging store", elapsed)
			}
		})
	}
}

// TestOutboxBacklogBounded checks destinations beyond the first 256 pairs
// share dest="other", since every Botpress configuration can bring its own.
func TestOutboxBacklogBounded(t *testing.T) {
	t.Parallel()
	var groups []store.GroupStats
	for i := range 300 {
		groups = append(groups, store.GroupStats{Dest: fmt.Sprintf("%012x", i), Kind: "planhat.activity", Available: 1000 - i})
	}
	st := &fakeStore{stats: store.Stats{Groups: groups}}
	m := httpapi.NewMetrics()
	m.ObserveOutbox(st)
	hs := httptest.NewServer(m.Handler())
	t.Cleanup(hs.Close)
	lines := scrape(t, hs.URL, "planbridge_outbox_backlog{")
	if len(lines) != 257 {
		t.Fatalf("%d backlog series, want 256 and one other", len(lines))
	}
	// The 44 smallest (1000-299 … 1000-256) are summed under other.
	sum := 0
	for i := 256; i < 300; i++ {
		sum += 1000 - i
	}
	wantOther := fmt.Sprintf(`planbridge_outbox_backlog{dest="other",kind="planhat.activity"} %d`, sum)
	found := false
	for _, l := range lines {
		found = found || l == wantOther
	}
	if !found {
		t.Errorf("no %s among the backlog series", wantOther)
	}
}

// TestOutboxDeliveries scrapes the delivery counter and histogram fed by
// ObserveDelivery.
func TestOutboxDeliveries(t *testing.T) {
	t.Parallel()
	m := httpapi.NewMetrics()
	m.ObserveDelivery("planhat.conversation", map[string]int{"delivered": 120, "retry": 3, "dead": 0}, 250*time.Millisecond)
	m.ObserveDelivery("planhat.conversation", map[string]int{"delivered": 5, "isolated": 1}, 2*time.Second)
	m.ObserveDelivery("planhat.activity", map[string]int{"snoozed": 40}, 10*time.Millisecond)
	var nilMetrics *httpapi.Metrics
	nilMetrics.ObserveDelivery("planhat.activity", map[string]int{"delivered": 1}, time.Second) // must not panic
	hs := httptest.NewServer(m.Handler())
	t.Cleanup(hs.Close)

	want := []string{
		`planbridge_outbox_deliveries_total{kind="planhat.activity",outcome="snoozed"} 40`,
		`planbridge_outbox_deliveries_total{kind="planhat.conversation",outcome="delivered"} 125`,
		`planbridge_outbox_deliveries_total{kind="planhat.conversation",outcome="isolated"} 1`,
		`planbridge_outbox_deliveries_total{kind="planhat.conversation",outcome="retry"} 3`,
	}
	if diff := cmp.Diff(want, scrape(t, hs.URL, "planbridge_outbox_deliveries_total")); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	want = []string{
		`planbridge_outbox_delivery_seconds_count{kind="planhat.activity"} 1`,
		`planbridge_outbox_delivery_seconds_count{kind="planhat.conversation"} 2`,
		`planbridge_outbox_delivery_seconds_sum{kind="planhat.activity"} 0.01`,
		`planbridge_outbox_delivery_seconds_sum{kind="planhat.conversation"} 2.25`,
	}
	var got []string
	for _, l := range scrape(t, hs.URL, "planbridge_outbox_delivery_seconds_") {
		if !strings.Contains(l, "_bucket") {
			got = append(got, l)
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("delivery seconds (-want +got):\n%s", diff)
	}
}
