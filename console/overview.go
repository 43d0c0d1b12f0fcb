package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/outboxadmin"
	"github.com/planbridge/planbridge/store"
)

// Overview is the console's first page, and GET /v1/admin/overview.
type Overview struct {
	GeneratedAt time.Time         `json:"generatedAt"`
	Outbox      outboxadmin.Stats `json:"outbox"`
	// Destinations are per Planhat token (or Planfix installation): the
	// outbox's work for it, its deliveries over the last hour and its budget.
	Destinations []DestinationOverview `json:"destinations"`
	// Budgets are every Planhat token's budget, including tokens with no outbox work.
	Budgets []Budget `json:"budgets"`
	// Cache is the read cache's effect, when it is on.
	Cache *CacheOverview `json:"cache,omitempty"`
	// OpenHandoffs counts open hand-off sessions (up to 1,000).
	OpenHandoffs int `json:"openHandoffs"`
}

// DestinationOverview is one destination's line of the overview.
type DestinationOverview struct {
	ID string `json:"id"`
	// Target says where it delivers: "Planhat" or "Planfix".
	Target string `json:"target"`
	URL    string `json:"url,omitempty"`
	// TokenFingerprint is the Planhat token's short fingerprint (as in /metrics).
	TokenFingerprint     string    `json:"tokenFingerprint,omitempty"`
	Available            int       `json:"available"`
	Running              int       `json:"running"`
	Dead                 int       `json:"dead"`
	OldestPending        time.Time `json:"oldestPending,omitzero"`
	OldestPendingSeconds float64   `json:"oldestPendingSeconds"`
	DeliveredLastHour    int       `json:"deliveredLastHour"`
	FailedLastHour       int       `json:"failedLastHour"`
	// LastHour is per minute, oldest first.
	LastHour []Point `json:"lastHour"`
	Budget   *Budget `json:"budget,omitempty"`
}

// Budget is one Planhat token's rate budget as its limiter sees it now.
type Budget struct {
	TokenFingerprint string  `json:"tokenFingerprint"`
	CallsPerMinute   float64 `json:"callsPerMinute"`
	// Available is how many calls could go at once now.
	Available float64 `json:"available"`
	// ReportedRemaining is Planhat's latest X-Rate-Limit-Remaining; -1 until it sends one.
	ReportedRemaining  int       `json:"reportedRemaining"`
	WaitingInteractive int       `json:"waitingInteractive"`
	WaitingBackground  int       `json:"waitingBackground"`
	PausedUntil        time.Time `json:"pausedUntil,omitzero"`
}

// CacheOverview is the read cache's counters and hit ratio.
type CacheOverview struct {
	Hits     uint64  `json:"hits"`
	Misses   uint64  `json:"misses"`
	HitRatio float64 `json:"hitRatio"`
	Stale    uint64  `json:"stale"`
	Bytes    int64   `json:"bytes"`
	Entries  int     `json:"entries"`
}

// BuildOverview gathers the overview from the store, the limiters, the
// cache and the delivery history.
func (c *Console) BuildOverview(ctx context.Context) (Overview, error) {
	now := c.opts.Now()
	st, err := c.opts.Store.Stats(ctx)
	if err != nil {
		return Overview{}, fmt.Errorf("console: reading outbox statistics: %w", err)
	}
	ov := Overview{GeneratedAt: now.UTC(), Outbox: outboxadmin.NewStats(st, now)}

	budgets := map[string]*Budget{}
	if c.opts.Limiters != nil {
		for _, ls := range c.opts.Limiters.Stats() {
			b := Budget{TokenFingerprint: ls.Fingerprint, Available: math.Floor(ls.Tokens*10) / 10, ReportedRemaining: ls.ReportedRemaining,
				WaitingInteractive: ls.Waiting[0], WaitingBackground: ls.Waiting[1], PausedUntil: ls.PausedUntil}
			if ls.Window > 0 {
				b.CallsPerMinute = math.Round(float64(ls.Requests)*60/ls.Window.Seconds()*10) / 10
			}
			ov.Budgets = append(ov.Budgets, b)
		}
		slices.SortFunc(ov.Budgets, func(a, b Budget) int { return strings.Compare(a.TokenFingerprint, b.TokenFingerprint) })
		for i := range ov.Budgets {
			budgets[ov.Budgets[i].TokenFingerprint] = &ov.Budgets[i]
		}
	}

	byDest := map[string]*DestinationOverview{}
	var order []string
	get := func(id string) *DestinationOverview {
		d := byDest[id]
		if d == nil {
			d = &DestinationOverview{ID: id}
			byDest[id] = d
			order = append(order, id)
		}
		return d
	}
	for _, g := range st.Groups {
		d := get(g.Dest)
		d.Available += g.Available
		d.Running += g.Running
		d.Dead += g.Dead
		if !g.OldestPending.IsZero() && (d.OldestPending.IsZero() || g.OldestPending.Before(d.OldestPending)) {
			d.OldestPending = g.OldestPending
		}
	}
	for _, id := range c.opts.History.Dests() {
		get(id)
	}
	slices.Sort(order)
	for _, id := range order {
		d := byDest[id]
		d.OldestPendingSeconds = outboxadmin.Age(d.OldestPending, now).Seconds()
		d.LastHour = c.opts.History.Series(id)
		for _, p := range d.LastHour {
			d.DeliveredLastHour += p.Delivered
			d.FailedLastHour += p.Failed
		}
		if err := c.describeDest(ctx, d); err != nil {
			return Overview{}, err
		}
		if b := budgets[d.TokenFingerprint]; b != nil {
			d.Budget = b
		}
		ov.Destinations = append(ov.Destinations, *d)
	}
	if c.opts.Cache != nil {
		cs := c.opts.Cache.Stats()
		co := &CacheOverview{Hits: cs.Hits, Misses: cs.Misses, Stale: cs.StaleRateLimited + cs.StaleRevalidating,
			Bytes: cs.Bytes, Entries: cs.Entries}
		if total := co.Hits + co.Misses; total > 0 {
			co.HitRatio = math.Round(float64(co.Hits)/float64(total)*1000) / 1000
		}
		ov.Cache = co
	}
	open, err := c.opts.Store.HandoffSessions(ctx, store.HandoffSessionFilter{State: store.HandoffOpen, Limit: 1000})
	if err != nil {
		return Overview{}, fmt.Errorf("console: counting open hand-offs: %w", err)
	}
	ov.OpenHandoffs = len(open)
	return ov, nil
}

// describeDest fills in where a destination delivers; its secrets stay in the store.
func (c *Console) describeDest(ctx context.Context, d *DestinationOverview) error {
	dest, err := c.opts.Store.Destination(ctx, d.ID)
	if err == nil {
		d.Target, d.URL, d.TokenFingerprint = "Planhat", dest.APIURL, integrations.TokenFingerprint(dest.Token)
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("console: reading destination %s: %w", d.ID, err)
	}
	in, err := c.opts.Store.HandoffInstallation(ctx, d.ID)
	if err == nil {
		d.Target, d.URL = "Planfix", in.Endpoint
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("console: reading installation %s: %w", d.ID, err)
	}
	d.Target = "unknown"
	return nil
}

func (c *Console) overview(r *http.Request, v *view) (string, error) {
	ctx, cancel := storeCtx(r)
	defer cancel()
	ov, err := c.BuildOverview(ctx)
	if err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Refresh = "Overview", "overview", 5
	v.Data = overviewView{Overview: ov, Charts: charts(ov.Destinations),
		Available: ov.Outbox.ByState[store.StateAvailable], Running: ov.Outbox.ByState[store.StateRunning]}
	return "overview", nil
}

type overviewView struct {
	Overview
	Charts             map[string]template.HTML
	Available, Running int
}

func (c *Console) overviewJSON(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		jsonError(w, r, actions.CodeInvalidInput, "GET /v1/admin/overview takes no query parameters.")
		return
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	ov, err := c.BuildOverview(ctx)
	if err != nil {
		c.jsonStoreFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ov)
}

// charts draws each destination's last hour as an inline SVG bar chart:
// delivered items up, failures stacked on top in another colour. It is
// built here, numbers only, so the template has nothing to escape.
func charts(dests []DestinationOverview) map[string]template.HTML {
	out := map[string]template.HTML{}
	const w, h, bar = 240, 48, 4
	for _, d := range dests {
		top := 1
		for _, p := range d.LastHour {
			top = max(top, p.Delivered+p.Failed)
		}
		var b strings.Builder
		fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="deliveries per minute over the last hour: %d delivered, %d failed">`,
			w, h+12, w, h+12, d.DeliveredLastHour, d.FailedLastHour)
		fmt.Fprintf(&b, `<line class="axis" x1="0" y1="%d" x2="%d" y2="%d"></line>`, h, w, h)
		for i, p := range d.LastHour {
			x := i * bar
			dh := int(math.Round(float64(p.Delivered) / float64(top) * h))
			fh := int(math.Round(float64(p.Failed) / float64(top) * h))
			if p.Delivered > 0 && dh == 0 {
				dh = 1
			}
			if p.Failed > 0 && fh == 0 {
				fh = 1
			}
			if dh > 0 {
				fmt.Fprintf(&b, `<rect class="ok" x="%d" y="%d" width="%d" height="%d"><title>%s: %d delivered</title></rect>`, x, h-dh, bar-1, dh, p.Start.Format("15:04"), p.Delivered)
			}
			if fh > 0 {
				fmt.Fprintf(&b, `<rect class="failed" x="%d" y="%d" width="%d" height="%d"><title>%s: %d failed</title></rect>`, x, h-dh-fh, bar-1, fh, p.Start.Format("15:04"), p.Failed)
			}
		}
		fmt.Fprintf(&b, `<text class="label" x="0" y="%d">-60 min</text><text class="label" x="%d" y="%d" text-anchor="end">now · peak %d/min</text></svg>`, h+11, w, h+11, top)
		out[d.ID] = template.HTML(b.String()) // #nosec: numbers and a fixed time format only
	}
	return out
}
