//go:build linux

package e2e_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/faults"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// The crash load: 20,000 messages over 2,000 conversations from 16
// concurrent callers, killed once 40% of the messages were answered.
const (
	crashConversations = 2_000
	crashMessages      = 20_000
	crashWorkers       = 16
	crashKillAt        = crashMessages * 4 / 10
)

// The emulator's credentials in the process tests.
const (
	procToken  = "e2e-process-token-0123456789"
	procTenant = "5c2e4f1a-0b7d-4e63-9a55-3f1d2c8b7a60"
	procAPIKey = "e2e-process-api-key"
)

// procEmulator is a Planhat emulator served (both hosts on one listener)
// in the test process for planbridge child processes.
type procEmulator struct {
	*planhatemu.Server
	url       string
	companyID string // a seeded company the load logs conversations under
	// inFlight counts the requests being answered: every one is a
	// delivery's, so while it is above 0 items are claimed and maybe
	// applied by Planhat but not recorded as delivered.
	inFlight atomic.Int32
}

// startEmulator serves an emulator with the conversation type logged
// conversations use and one seeded company.
func startEmulator(tb testing.TB, opts ...planhatemu.Option) *procEmulator {
	tb.Helper()
	emu := &procEmulator{Server: planhatemu.New(append([]planhatemu.Option{planhatemu.WithToken(procToken), planhatemu.WithTenant(procTenant),
		planhatemu.WithConversationTypes("Chatbot"), planhatemu.WithSeed(1)}, opts...)...)}
	h := emu.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emu.inFlight.Add(1)
		defer emu.inFlight.Add(-1)
		h.ServeHTTP(w, r)
	}))
	// Registered before any child process, so it closes after they are
	// killed: Close waits for the connections they hold.
	tb.Cleanup(hs.Close)
	emu.url = hs.URL
	companies := emu.Objects("companies")
	if len(companies) == 0 {
		tb.Fatal("the seeded emulator has no company")
	}
	emu.companyID, _ = companies[0]["_id"].(string)
	return emu
}

// endUserEmail is the email of a seeded contact of the company.
func (e *procEmulator) endUserEmail(tb testing.TB) string {
	tb.Helper()
	for _, u := range e.Objects("endusers") {
		if email, _ := u["email"].(string); email != "" && u["companyId"] == e.companyID {
			return email
		}
	}
	tb.Fatal("the seeded company has no contact with an email")
	return ""
}

// awaitCallInFlight waits up to limit for a Planhat call to be in flight
// and reports whether one is.
func (e *procEmulator) awaitCallInFlight(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for e.inFlight.Load() == 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// serveSettings are the environment of a `planbridge serve` against the
// emulator at emuURL with the store db.
func serveSettings(emuURL, db, rate string, flush time.Duration) map[string]string {
	return map[string]string{
		"PLANBRIDGE_DB":                    db,
		"PLANBRIDGE_ADDR":                  "127.0.0.1:0",
		"PLANBRIDGE_API_KEYS":              procAPIKey,
		"PLANBRIDGE_BOTPRESS_SECRET":       "e2e-process-door-secret",
		"PLANBRIDGE_OUTBOX_FLUSH_INTERVAL": flush.String(),
		"PLANHAT_TOKEN":                    procToken,
		"PLANHAT_API_URL":                  emuURL,
		"PLANHAT_ANALYTICS_URL":            emuURL,
		"PLANHAT_TENANT":                   procTenant,
		"PLANHAT_RATE":                     rate,
	}
}

// The crash tests are not parallel: each wants both cores for its
// timings, and a SIGKILL test that is slow for want of CPU proves less.

// TestCrashLosesNothingSQLite kills `planbridge serve` on SQLite (with
// its default synchronous=FULL) with SIGKILL while it takes conversation
// logs and delivers them, restarts it on the same file, and proves that
// every message answered 2xx reached Planhat exactly once.
func TestCrashLosesNothingSQLite(t *testing.T) {
	crashTest(t, filepath.Join(t.TempDir(), "planbridge.db"))
}

// TestCrashLosesNothingPostgres is the same on PostgreSQL, in a schema of
// its own.
func TestCrashLosesNothingPostgres(t *testing.T) {
	_, db, _ := postgresSchema(t, postgresURL(t))
	crashTest(t, db)
}

func crashTest(t *testing.T, db string) {
	emu := startEmulator(t, planhatemu.WithRateLimit(0, 0))
	// Every bulk call takes a while, as on the real Planhat, so the kill
	// can land while one is in flight: the worst moment, with items
	// claimed and maybe applied by Planhat but not recorded as delivered.
	if _, err := emu.AddFault(faults.Spec{Paths: []string{"/conversations"}, Latency: faults.Duration(300 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	companyID := emu.companyID
	settings := serveSettings(emu.url, db, "0", 200*time.Millisecond)
	load := newConvLoad(loadSpec{prefix: "crash", conversations: crashConversations, messages: crashMessages, companyID: companyID, seed: 1})
	client := loadClient(crashWorkers)
	begin := time.Now()

	first := startServe(t, "serve-1", settings)
	t.Logf("serve-1 listening after %s", first.ready.Round(time.Millisecond))
	var killedAt time.Time
	var midCall bool
	problems := load.send(client, indexes(len(load.calls)), sendOptions{
		workers: crashWorkers, key: procAPIKey,
		door:   func(int) string { return first.url },
		stopAt: crashKillAt,
		stop: func(halt func()) {
			midCall = emu.awaitCallInFlight(3 * time.Second)
			halt()
			killedAt = time.Now()
			first.kill(t)
		},
	})
	failProblems(t, "before and at the kill", problems)
	if killedAt.IsZero() {
		t.Fatalf("the load ended before %d messages were answered: nothing was killed", crashKillAt)
	}
	atKill := emu.Stats()
	delivered := len(botConversations(emu.Server))
	t.Logf("phase 1: %d messages answered in %s (%.0f/s), then SIGKILL (a Planhat call in flight: %v); %d calls (%d messages) in flight got no answer; Planhat had %d conversations after %d bulk calls",
		load.messagesIn(answered), killedAt.Sub(begin).Round(time.Millisecond), float64(load.messagesIn(answered))/killedAt.Sub(begin).Seconds(), midCall,
		len(load.indexes(failed)), load.messagesIn(failed), delivered, atKill.ByRoute["PUT /conversations"])
	if len(load.indexes(unsent)) == 0 {
		t.Fatal("the kill came after the last call: nothing is left to send after the restart")
	}

	answered1 := load.messagesIn(answered)

	// The restart on the same store; only what was never sent is sent now.
	restart := time.Now()
	second := startServe(t, "serve-2", settings)
	if st, err := second.stats(client, procAPIKey); err == nil {
		t.Logf("serve-2 listening %s after the restart began; the outbox holds %v", second.ready.Round(time.Millisecond), st.ByState)
	}
	rest := load.indexes(unsent)
	problems = load.send(client, rest, sendOptions{workers: crashWorkers, key: procAPIKey, door: func(int) string { return second.url }})
	failProblems(t, "after the restart", problems)
	sent2 := time.Since(restart)
	t.Logf("phase 2: %d more calls (%d messages) answered in %s", len(rest), load.messagesIn(answered)-answered1, sent2.Round(time.Millisecond))

	// A lease (15 s) for the restarted server to take over, then one flush.
	drain := second.waitDrained(t, client, procAPIKey, 60*time.Second)
	st, err := second.stats(client, procAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	if st.DeadLetters != 0 {
		t.Errorf("the outbox holds %d dead letters, want 0; by state %v; log:\n%s", st.DeadLetters, st.ByState, second.logTail(3000))
	}
	final := emu.Stats()
	t.Logf("serve-2 took the delivery lease %s after the kill; drained %s after the last answer; restart to drained %s; whole run %s; Planhat calls: %d in all, %d PUT /conversations, %d answered 429",
		sinceOrNever(second.leaseTakenAt(), killedAt), drain.Round(time.Millisecond), time.Since(restart).Round(time.Millisecond), time.Since(begin).Round(time.Millisecond),
		final.Total, final.ByRoute["PUT /conversations"], final.RateLimited)
	verifyDelivered(t, emu.Server, load, companyID)
}

// sinceOrNever says how long after from t was, or that it never came.
func sinceOrNever(t, from time.Time) string {
	if t.IsZero() {
		return "(never logged)"
	}
	return t.Sub(from).Round(time.Millisecond).String()
}

// indexes is 0 … n-1.
func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// failProblems reports what went wrong while sending, the first few in full.
func failProblems(tb testing.TB, when string, problems []error) {
	tb.Helper()
	if len(problems) == 0 {
		return
	}
	var b strings.Builder
	for i, p := range problems[:min(10, len(problems))] {
		fmt.Fprintf(&b, "\n  %d. %v", i+1, p)
	}
	tb.Fatalf("%d calls went wrong %s:%s", len(problems), when, b.String())
}

// botConversations are the emulator's conversations logged by planbridge.
func botConversations(emu *planhatemu.Server) []map[string]any {
	var out []map[string]any
	for _, c := range emu.Objects("conversations") {
		if ext, _ := c["externalId"].(string); strings.HasPrefix(ext, "bot-") {
			out = append(out, c)
		}
	}
	return out
}
