package e2e_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// TestPostgresDeliversDuringIntake logs 2,000 conversations (5 messages
// each) from 16 concurrent callers into a server on PostgreSQL whose
// outbox flushes every 200 ms, and requires a quarter of them at least to
// be delivered while the load still runs (on two cores: 85-98%, 66% under
// the race detector). When the outbox's reads shared the writers'
// connection pool, they queued behind the intake and a claimed batch sat
// for seconds: 35 of 2,000 conversations were delivered during the load.
func TestPostgresDeliversDuringIntake(t *testing.T) {
	const conversations, perCall, callers = 2_000, 5, 16
	var delivered atomic.Int64
	s := newStack(t, withStore(openPostgres), withPlanhat(planhatemu.WithConversationTypes("Chatbot")),
		withOutbox(outbox.Options{FlushInterval: 200 * time.Millisecond, PollInterval: 100 * time.Millisecond,
			Observer: func(d outbox.Delivery) { delivered.Add(int64(d.Verdicts[outbox.Delivered])) }}))
	start := time.Now()
	sendLogs(t, s, conversations, conversations, perCall, callers, "")
	took := time.Since(start)
	during := delivered.Load()
	t.Logf("%d messages over %d conversations taken in %s; %d conversations delivered meanwhile in %d bulk calls",
		conversations*perCall, conversations, took.Round(time.Millisecond), during, s.planhat.Stats().ByRoute["PUT /conversations"])
	if during < conversations/4 {
		t.Errorf("only %d of %d conversations were delivered while the load ran (%s): the outbox's reads are starved by the intake's writes", during, conversations, took.Round(time.Millisecond))
	}
	waitBacklog(t, s, time.Minute)
}
