//go:build linux

package e2e_test

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/faults"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/store/pgstore"
)

// The scale-out load: 5,000 messages over 500 conversations, split
// between the two replicas' REST doors.
const (
	scaleConversations = 500
	scaleMessages      = 5_000
	scaleWorkers       = 16
	// scaleWithEmail conversations cost a contact lookup each: more
	// calls than one 6 s window admits.
	scaleWithEmail = 40
)

// TestScaleOutTwoReplicasPostgres runs two `planbridge serve` replicas on
// one PostgreSQL schema against an emulator whose rate window is Planhat's
// 200 calls a minute scaled down tenfold (20 per 6 s), each replica paced
// at the matching 18 per 6 s. The load goes to both doors; half-way the
// replica holding the delivery lease is killed with SIGKILL. The other
// must take the lease over and deliver everything: every answered message
// once, no conversation twice, and not one 429 from the emulator.
func TestScaleOutTwoReplicasPostgres(t *testing.T) {
	schema, dbURL, db := postgresSchema(t, postgresURL(t))
	emu := startEmulator(t, planhatemu.WithRateLimit(20, 6*time.Second))
	// Bulk calls take a while, as on the real Planhat.
	if _, err := emu.AddFault(faults.Spec{Paths: []string{"/conversations"}, Latency: faults.Duration(100 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	// A flush interval shorter than the budget allows (5 flushes a second
	// against 3 calls a second) so the pacing, not the interval, keeps
	// the calls under the emulator's window.
	settings := serveSettings(emu.url, dbURL, "18/6s", 200*time.Millisecond)
	replicas := []*serveProc{startServe(t, "replica-a", settings), startServe(t, "replica-b", settings)}
	// Bulk upserts alone would be a handful of calls; the contact lookups
	// of the conversations with an end user's email are one call each, so
	// together they need more than one window's budget and the pacing
	// must spread them.
	load := newConvLoad(loadSpec{prefix: "scale", conversations: scaleConversations, messages: scaleMessages, companyID: emu.companyID, seed: 2,
		email: emu.endUserEmail(t), withEmail: scaleWithEmail})
	client := loadClient(scaleWorkers)
	begin := time.Now()

	var killed, survivor *serveProc
	var midCall bool
	var killedAt time.Time
	problems := load.send(client, indexes(len(load.calls)), sendOptions{
		workers: scaleWorkers, key: procAPIKey,
		door:   func(i int) string { return replicas[i%2].url },
		stopAt: scaleMessages / 2,
		stop: func(halt func()) {
			// No waiting for a Planhat call to be in flight: the intake is
			// fast enough to end meanwhile, and the kill must come mid-way.
			midCall = emu.inFlight.Load() > 0
			holder := leaseHolder(t, db, schema)
			killed, survivor = replicas[0], replicas[1]
			if holder == replicas[1].pid() {
				killed, survivor = replicas[1], replicas[0]
			} else if holder != replicas[0].pid() {
				t.Errorf("the delivery lease is held by pid %d, neither replica (%d, %d)", holder, replicas[0].pid(), replicas[1].pid())
			}
			halt()
			killedAt = time.Now()
			killed.kill(t)
		},
	})
	failProblems(t, "before and at the kill", problems)
	if killed == nil {
		t.Fatal("the load ended before half of it was answered: no replica was killed")
	}
	atKill := emu.Stats()
	t.Logf("%d messages answered by both replicas in %s; SIGKILL to %s, the lease holder (a Planhat call in flight: %v); %d calls (%d messages) got no answer; Planhat had %d conversations after %d bulk calls",
		load.messagesIn(answered), killedAt.Sub(begin).Round(time.Millisecond), killed.name, midCall,
		len(load.indexes(failed)), load.messagesIn(failed), len(botConversations(emu.Server)), atKill.ByRoute["PUT /conversations"])

	answered1 := load.messagesIn(answered)
	rest := load.indexes(unsent)
	problems = load.send(client, rest, sendOptions{workers: scaleWorkers, key: procAPIKey, door: func(int) string { return survivor.url }})
	failProblems(t, "after the kill, through "+survivor.name, problems)
	t.Logf("%s answered the other %d messages in %s", survivor.name, load.messagesIn(answered)-answered1, time.Since(killedAt).Round(time.Millisecond))

	// The lease (15 s) must lapse before the survivor delivers, then the
	// rest goes at 3 calls a second.
	drain := survivor.waitDrained(t, client, procAPIKey, 60*time.Second)
	if holder := leaseHolder(t, db, schema); holder != survivor.pid() {
		t.Errorf("after the drain the delivery lease is held by pid %d, want the survivor %s (%d)", holder, survivor.name, survivor.pid())
	}
	final := emu.Stats()
	t.Logf("%s took the delivery lease over %s after the kill", survivor.name, sinceOrNever(survivor.leaseTakenAt(), killedAt))
	t.Logf("drained %s after the last answer, %s after the kill; Planhat calls: %d in all (%d after the kill), %d PUT /conversations (%d after the kill), %d answered 429; by route %v",
		drain.Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond), final.Total, final.Total-atKill.Total, final.ByRoute["PUT /conversations"],
		final.ByRoute["PUT /conversations"]-atKill.ByRoute["PUT /conversations"], final.RateLimited, final.ByRoute)
	if final.ByRoute["PUT /conversations"] == atKill.ByRoute["PUT /conversations"] {
		t.Errorf("no bulk call after the kill: the survivor did not deliver")
	}
	if final.RateLimited != 0 {
		t.Errorf("the emulator answered 429 %d times: the replicas went over the 20-per-6-s window", final.RateLimited)
	}
	if st, err := survivor.stats(client, procAPIKey); err != nil || st.DeadLetters != 0 {
		t.Errorf("dead letters %d (%v), want 0", st.DeadLetters, err)
	}
	verifyDelivered(t, emu.Server, load, emu.companyID)
}

// leaseHolder is the process id of the outbox lease's holder (its owner
// name is host-PID-random), or 0 when nobody holds it.
func leaseHolder(tb testing.TB, db *sql.DB, schema string) int {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var holder string
	var expires int64
	err := db.QueryRowContext(ctx, "SELECT holder, expires_at FROM "+pgstore.QuoteIdent(schema)+".leases WHERE name = 'outbox'").Scan(&holder, &expires)
	if err == sql.ErrNoRows {
		return 0
	}
	if err != nil {
		tb.Errorf("reading the outbox lease: %v", err)
		return 0
	}
	parts := strings.Split(holder, "-")
	if len(parts) < 3 {
		tb.Errorf("lease holder %q is not host-pid-random", holder)
		return 0
	}
	pid, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil {
		tb.Errorf("lease holder %q: %v", holder, fmt.Errorf("no pid: %w", err))
	}
	return pid
}
