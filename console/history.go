package console

import (
	"sync"
	"time"

	"github.com/planbridge/planbridge/outbox"
)

// HistoryMinutes is how far back the overview's delivery chart looks.
const HistoryMinutes = 60

// maxHistoryDests bounds the destinations History tracks: destinations
// come with Botpress configurations, so their number is not ours to trust.
const maxHistoryDests = 256

// minute is one minute's deliveries of a destination.
type minute struct {
	start     int64 // unix minute
	delivered int
	failed    int
}

// History keeps per destination, in memory, the items delivered and the
// attempts that failed in each of the last HistoryMinutes minutes, for the
// overview's chart. Feed it every outbox delivery (Record); it is safe for
// concurrent use, and a restart starts it empty, as the process's own
// metrics do.
type History struct {
	mu    sync.Mutex
	now   func() time.Time
	dests map[string]*[HistoryMinutes]minute
}

// NewHistory returns an empty History on the clock now (nil means time.Now).
func NewHistory(now func() time.Time) *History {
	if now == nil {
		now = time.Now
	}
	return &History{now: now, dests: map[string]*[HistoryMinutes]minute{}}
}

// Record counts one delivery: delivered items as delivered, items to be
// retried or given up on as failed. A 429 snooze is not a failure (no
// attempt is spent) and an item isolated from its batch is not either
// (it is tried again alone at once).
func (h *History) Record(d outbox.Delivery) {
	if h == nil {
		return
	}
	delivered := d.Verdicts[outbox.Delivered]
	failed := d.Verdicts[outbox.Retry] + d.Verdicts[outbox.Fail]
	if delivered == 0 && failed == 0 {
		return
	}
	m := h.now().Unix() / 60
	h.mu.Lock()
	defer h.mu.Unlock()
	ring := h.dests[d.Dest]
	if ring == nil {
		if len(h.dests) >= maxHistoryDests {
			return
		}
		ring = new([HistoryMinutes]minute)
		h.dests[d.Dest] = ring
	}
	b := &ring[m%HistoryMinutes]
	if b.start != m {
		*b = minute{start: m}
	}
	b.delivered += delivered
	b.failed += failed
}

// Point is one minute of a destination's chart.
type Point struct {
	// Start is the minute's beginning.
	Start     time.Time `json:"start"`
	Delivered int       `json:"delivered"`
	Failed    int       `json:"failed"`
}

// Series returns a destination's last HistoryMinutes minutes, oldest
// first, the current minute last; minutes without deliveries are zeros.
func (h *History) Series(dest string) []Point {
	out := make([]Point, HistoryMinutes)
	clock := time.Now
	if h != nil {
		clock = h.now
	}
	now := clock().Unix() / 60
	for i := range out {
		m := now - int64(HistoryMinutes-1-i)
		out[i].Start = time.Unix(m*60, 0).UTC()
	}
	if h == nil {
		return out
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ring := h.dests[dest]
	if ring == nil {
		return out
	}
	for i := range out {
		m := now - int64(HistoryMinutes-1-i)
		if b := ring[m%HistoryMinutes]; b.start == m {
			out[i].Delivered, out[i].Failed = b.delivered, b.failed
		}
	}
	return out
}

// Dests lists the destinations with any delivery in the window.
func (h *History) Dests() []string {
	if h == nil {
		return nil
	}
	now := h.now().Unix() / 60
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for d, ring := range h.dests {
		for _, b := range ring {
			if b.start > now-HistoryMinutes && b.start <= now {
				out = append(out, d)
				break
			}
		}
	}
	return out
}
