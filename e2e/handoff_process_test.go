//go:build linux

package e2e_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/botpress/botpresstest"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/planfix/planfixemu"
	"github.com/planbridge/planbridge/planfix/planfixtest"
)

// freeAddr is a loopback address nothing listens on, for a server that
// must come back at the same address after a restart.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestHandoffSIGKILLBetweenPlanfixAndBotpress kills `planbridge serve`
// with SIGKILL after it accepted an agent's reply from Planfix and before
// Botpress accepted it (the Runtime API answers 503 meanwhile), restarts
// it over the same store with Botpress healthy, and checks the reply
// arrives once, with one hitlAssigned.
func TestHandoffSIGKILLBetweenPlanfixAndBotpress(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	bp := botpresstest.NewServer(t, botpressemu.WithDefinition(integrations.PlanfixDefinition("", "")), botpressemu.WithIntegrationName("planfix"),
		botpressemu.WithIntegrationURL(base+"/botpress/planfix/"+doorSecret))
	pf := planfixtest.NewServer(t, planfixemu.WithChat(bp.WebhookURL(), chatToken), planfixemu.WithEmployees("bot@acme.test"))
	if err := bp.SetConfiguration(map[string]any{"endpointUrl": pf.Endpoint(), "planfixToken": pf.PlanfixToken, "providerId": pf.ProviderID,
		"chatToken": chatToken, "botEmployeeEmail": "bot@acme.test", "botName": "Helper"}); err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{
		"PLANBRIDGE_ADDR": addr, "PLANBRIDGE_DB": filepath.Join(t.TempDir(), "kill.db"), "PLANBRIDGE_BOTPRESS_SECRET": doorSecret,
		"BP_API_URL": bp.URL, "BP_TOKEN": bp.Token, "PLANBRIDGE_ALLOW_HOSTS": "127.0.0.1", "PLANBRIDGE_API_KEYS": restAPIKey,
		// The server's own Planfix chat (the same emulator) takes serve out of sandbox mode.
		"PLANFIX_URL": pf.Endpoint(), "PLANFIX_TOKEN": pf.PlanfixToken, "PLANFIX_PROVIDER_ID": pf.ProviderID, "PLANFIX_CHAT_TOKEN": chatToken,
	}
	first := startServe(t, "serve-1", settings)
	s := &hitlStack{pf: pf, bp: bp}
	conv, chat, _ := s.start(t)
	waitUntil(t, "the Planfix task", 10*time.Second, func() bool { return len(taskComments(s, chat)) == 1 })

	// Botpress's Runtime API fails while the reply arrives: Planfix gets
	// its answer (the reply is stored), Botpress has nothing yet.
	bp.FailNext(1_000_000, http.StatusServiceUnavailable, "")
	d, err := pf.Reply(context.Background(), chat, planfixemu.Reply{Text: "before the kill"})
	if err != nil || !d.OK() {
		t.Fatalf("reply: %v %+v", err, d)
	}
	time.Sleep(300 * time.Millisecond) // a delivery attempt or two fail
	first.kill(t)
	if n := len(s.agentMessages(conv)); n != 0 {
		t.Fatalf("%d agent messages before the restart; the test needs Botpress to have refused them", n)
	}

	bp.FailNext(0, 0, "")
	restarted := time.Now()
	second := startServe(t, "serve-2", settings)
	waitUntil(t, "the reply after the restart", 60*time.Second, func() bool { return len(s.agentMessages(conv)) >= 1 })
	t.Logf("delivered %s after the restart (ready in %s)", time.Since(restarted).Round(time.Millisecond), second.ready.Round(time.Millisecond))
	waitUntil(t, "messageStatus sent", 10*time.Second, func() bool {
		st := pf.MessageStatuses(d.MessageID)
		return len(st) >= 1 && st[len(st)-1].Status == "sent"
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(s.agentMessages(conv)); n != 1 {
		t.Errorf("%d copies of the reply in Botpress, want 1", n)
	}
	if n := len(bp.EventsOfType(handoff.EventAssigned)); n != 1 {
		t.Errorf("%d hitlAssigned events, want 1", n)
	}
}
