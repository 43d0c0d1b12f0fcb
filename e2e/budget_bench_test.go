package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/readcache"
)

// call posts one action through the Botpress door and returns the status and body.
func (s *stack) callDoor(client *http.Client, newReq func(action string, input any) *http.Request, action string, input any) (int, []byte, error) {
	resp, err := client.Do(newReq(action, input))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// doorRequests builds Botpress action_triggered requests for any action and input.
func doorRequests(b *testing.B, s *stack) func(action string, input any) *http.Request {
	return func(action string, input any) *http.Request {
		return botpressRequest(b, s, action, input)()
	}
}

func percentile(lat []time.Duration, p int) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[min(len(lat)-1, len(lat)*p/100)]
}

// BenchmarkBudgetDoor reruns the previous closing note's measure: 16 concurrent callers
// of getAsset (each its own asset, again and again) through the Botpress door for 5 s, with
// the budget at its default (180/60 s, 2 s bound) and opened, with and without the read
// cache. It reports answers/s, p50 and p99, and how many were answered rate_limited.
func BenchmarkBudgetDoor(b *testing.B) {
	const callers, run = 16, 5 * time.Second
	tests := []struct {
		name  string
		rl    planhat.RateLimit
		cache bool
	}{
		{"default-budget/no-cache", planhat.DefaultRateLimit(), false},
		{"default-budget/cache", planhat.DefaultRateLimit(), true},
		{"opened/no-cache", planhat.NoRateLimit(), false},
		{"opened/cache", planhat.NoRateLimit(), true},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			var cache *readcache.Cache
			if tt.cache {
				cache = readcache.New(readcache.Options{})
			}
			s := newStack(b, withBudget(tt.rl, planhat.DefaultMaxWait), withReadCache(cache))
			company := s.firstID(b, "companies")
			var ids []string
			for i := range callers {
				ids = append(ids, s.planhat.Insert("assets", map[string]any{"name": fmt.Sprintf("Router %d", i), "companyId": company}))
			}
			newReq := doorRequests(b, s)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var mu sync.Mutex
			var lat []time.Duration
			limited := 0
			for b.Loop() {
				deadline := time.Now().Add(run)
				var wg sync.WaitGroup
				for i := range callers {
					wg.Go(func() {
						for time.Now().Before(deadline) {
							start := time.Now()
							status, body, err := s.callDoor(client, newReq, "getAsset", map[string]any{"assetId": ids[i]})
							d := time.Since(start)
							if err != nil {
								b.Error(err)
								return
							}
							mu.Lock()
							switch status {
							case http.StatusOK:
								lat = append(lat, d)
							case http.StatusTooManyRequests:
								limited++
								lat = append(lat, d)
							default:
								mu.Unlock()
								b.Errorf("status %d: %s", status, body)
								return
							}
							mu.Unlock()
							if status == http.StatusTooManyRequests {
								time.Sleep(time.Second) // a bot retries a second later
							}
						}
					})
				}
				wg.Wait()
			}
			n := len(lat)
			b.ReportMetric(float64(n-limited)/run.Seconds()/float64(b.N), "answers/s")
			b.ReportMetric(float64(limited)/float64(b.N), "rate-limited")
			b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(lat, 99).Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(s.planhat.Stats().Total)/float64(b.N), "planhat-calls")
		})
	}
}

// BenchmarkBotLoad plays 1,000 bot users against Planhat's real budget scaled down five
// times (the emulator allows 40 calls per 12 s window, planbridge paces at 36 per 12 s, the
// TTL is 6 s): 50 turns a second for 24 s, each turn findEndUserByEmail then getCompany
// through the Botpress door, users picked with a Zipf law (a few talk a lot, most rarely),
// and one turn in fifty renaming the company through planbridge first. It reports the
// Planhat calls (against the windows' allowance) and 429s, turn latency (p50, p99, and p99
// of the turns Planhat was not called for), the hit ratio, the turns answered rate_limited
// or from stale data, and any answer older than a write made through planbridge.
func BenchmarkBotLoad(b *testing.B) {
	const (
		users, companies = 1000, 100
		turnsPerSecond   = 50
		run              = 24 * time.Second
		window           = 12 * time.Second
	)
	for b.Loop() {
		cache := readcache.New(readcache.Options{TTL: 6 * time.Second, NegativeTTL: 2 * time.Second, StaleIfRateLimited: time.Minute})
		s := newStack(b, withBudget(planhat.RateLimit{Requests: 36, Window: window, Burst: 1, Cooldown: window}, planhat.DefaultMaxWait),
			withReadCache(cache), withPlanhat(planhatemu.WithRateLimit(40, window), planhatemu.WithRequestLog(20000, 0)))
		companyIDs := make([]string, companies)
		for i := range companyIDs {
			companyIDs[i] = s.planhat.Insert("companies", map[string]any{"name": fmt.Sprintf("Company %d", i), "externalId": fmt.Sprintf("co-%d", i)})
		}
		emails := make([]string, users)
		for i := range emails {
			emails[i] = fmt.Sprintf("user%d@example.com", i)
			s.planhat.Insert("endusers", map[string]any{"name": fmt.Sprintf("User %d", i), "email": emails[i], "companyId": companyIDs[i%companies]})
		}
		s.planhat.ResetStats()
		newReq := doorRequests(b, s)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		zipf := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.1, 1, users-1)

		type turn struct {
			start, end     time.Time
			findStart      time.Time // the span of each read's door call
			getStart       time.Time
			findEnd        time.Time
			email, company string
			ok, limited    bool
			staleName      bool // the company's name predates a rename planbridge had finished
		}
		var mu sync.Mutex
		var turns []*turn
		renamed := map[string]string{} // company id -> the name of the last finished rename
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / turnsPerSecond)
		stop := time.After(run)
		n := 0
	loop:
		for {
			select {
			case <-stop:
				break loop
			case <-tick.C:
			}
			n++
			u := int(zipf.Uint64())
			tr := &turn{email: emails[u], company: companyIDs[u%companies]}
			rename := n%50 == 0
			wg.Go(func() {
				tr.start = time.Now()
				defer func() { tr.end = time.Now() }()
				if rename {
					name := fmt.Sprintf("Company %s renamed %d", tr.company[len(tr.company)-4:], n)
					status, _, err := s.callDoor(client, newReq, "updateCompany", map[string]any{"id": tr.company, "name": name})
					if err == nil && status == http.StatusOK {
						mu.Lock()
						renamed[tr.company] = name
						mu.Unlock()
					}
				}
				tr.findStart = time.Now()
				status, body, err := s.callDoor(client, newReq, "findEndUserByEmail", map[string]any{"email": tr.email})
				tr.findEnd = time.Now()
				if err != nil || status != http.StatusOK {
					tr.limited = status == http.StatusTooManyRequests
					return
				}
				var found struct {
					Output struct {
						EndUser struct {
							CompanyID string `json:"companyId"`
						} `json:"endUser"`
					} `json:"output"`
				}
				if err := json.Unmarshal(body, &found); err != nil || found.Output.EndUser.CompanyID != tr.company {
					b.Errorf("findEndUserByEmail answered %s", body)
					return
				}
				mu.Lock()
				want, wasRenamed := renamed[tr.company]
				mu.Unlock()
				tr.getStart = time.Now()
				status, body, err = s.callDoor(client, newReq, "getCompany", map[string]any{"id": tr.company})
				if err != nil || status != http.StatusOK {
					tr.limited = status == http.StatusTooManyRequests
					return
				}
				tr.ok = true
				if wasRenamed && renameSeq(body) < renameSeq([]byte(want)) {
					tr.staleName = true
				}
			})
			turns = append(turns, tr)
		}
		tick.Stop()
		wg.Wait()

		// A turn was served from cache when Planhat saw no read of its email or company
		// while it ran.
		reads := map[string][]time.Time{}
		for _, r := range s.planhat.Requests() {
			if r.Method != http.MethodGet {
				continue
			}
			key := r.Path
			if q, err := url.ParseQuery(r.Query); err == nil && q.Get("email") != "" {
				key = q.Get("email")
			}
			reads[key] = append(reads[key], r.Time)
		}
		// A read waited for Planhat when a call of its key ran during it.
		called := func(key string, from, to time.Time) bool {
			for _, at := range reads[key] {
				if !at.Before(from) && !at.After(to) {
					return true
				}
			}
			return false
		}
		var all, cached []time.Duration
		ok, limited, stale := 0, 0, 0
		for _, tr := range turns {
			d := tr.end.Sub(tr.start)
			all = append(all, d)
			switch {
			case tr.ok:
				ok++
			case tr.limited:
				limited++
			}
			if tr.staleName {
				stale++
			}
			if tr.ok && !called(tr.email, tr.findStart, tr.findEnd) && !called("/companies/"+tr.company, tr.getStart, tr.end) {
				cached = append(cached, d)
			}
		}
		st := s.planhat.Stats()
		cs := cache.Stats()
		lookups := cs.Hits + cs.Misses + cs.Coalesced
		b.ReportMetric(float64(len(turns)), "turns")
		b.ReportMetric(float64(st.Total), "planhat-calls")
		b.ReportMetric(float64(40*(int(run/window)+1)), "allowed-calls")
		b.ReportMetric(float64(st.RateLimited), "planhat-429s")
		b.ReportMetric(float64(ok), "turns-ok")
		b.ReportMetric(float64(limited), "turns-rate-limited")
		b.ReportMetric(float64(percentile(all, 50).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(percentile(all, 99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(len(cached)), "turns-from-cache")
		b.ReportMetric(float64(percentile(cached, 99).Microseconds())/1000, "cached-p99-ms")
		b.ReportMetric(float64(percentile(all, 100).Microseconds())/1000, "max-ms")
		b.ReportMetric(float64(cs.Hits+cs.Coalesced)/float64(max(lookups, 1)), "hit-ratio")
		b.ReportMetric(float64(cs.StaleRateLimited), "stale-answers")
		b.ReportMetric(float64(stale), "older-than-a-write")
		if st.RateLimited > 0 {
			b.Errorf("Planhat answered %d calls with 429", st.RateLimited)
		}
		if stale > 0 {
			b.Errorf("%d turns read a company older than a rename planbridge had made", stale)
		}
	}
}

var renameRE = regexp.MustCompile(`renamed (\d+)`)

// renameSeq returns the turn number of the rename a company's name carries, -1 for none.
func renameSeq(b []byte) int {
	m := renameRE.FindSubmatch(b)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
