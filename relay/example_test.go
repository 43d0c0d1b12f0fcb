package relay_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/relay"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// A conversation logged in three turns becomes one Planhat conversation,
// delivered in one bulk call.
func ExampleRelay_LogConversation() {
	ctx := context.Background()
	emu := planhatemu.New(planhatemu.WithSeed(1), planhatemu.WithConversationTypes("Chatbot"))
	hs := httptest.NewServer(emu.Handler())
	defer hs.Close()
	dir, _ := os.MkdirTemp("", "relay-example-")
	defer os.RemoveAll(dir)
	st, _ := sqlitestore.Open(ctx, filepath.Join(dir, "relay.db"), sqlitestore.Options{})
	defer st.Close()

	ob, _ := outbox.New(outbox.Options{Store: st})
	rl, _ := relay.New(relay.Options{Store: st, Outbox: ob, NewClient: func(c planhat.Credentials) (*planhat.Client, error) {
		return planhat.NewClient(planhat.Options{Token: c.Token, BaseURL: c.BaseURL, AnalyticsURL: c.AnalyticsURL, TenantToken: c.TenantToken, MaxWait: -1})
	}})
	for kind, d := range rl.Deliverers() {
		ob.Register(kind, d)
	}
	caller, _ := planhat.NewClient(planhat.Options{Token: emu.Token, BaseURL: hs.URL, AnalyticsURL: hs.URL, TenantToken: emu.Tenant})

	company := emu.Objects("companies")[0]["_id"].(string)
	for _, text := range []string{"Hi", "My invoice is wrong", "Thanks!"} {
		logged, err := rl.LogConversation(ctx, caller, relay.Conversation{ID: "conv-7", CompanyID: company, BotName: "Helper",
			Messages: []relay.Message{{Author: relay.AuthorUser, Text: text}}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("accepted", logged.Accepted)
	}
	_, _ = ob.Drain(ctx)

	for _, c := range emu.Objects("conversations") {
		if c["externalId"] == "bot-conv-7" {
			fmt.Println(c["type"], c["subject"], strings.Count(c["description"].(string), "<p>"), "messages")
		}
	}
	fmt.Println("bulk calls:", emu.Stats().ByRoute["PUT /conversations"])
	// Output:
	// accepted 1
	// accepted 1
	// accepted 1
	// Chatbot Chat with Helper 3 messages
	// bulk calls: 1
}
