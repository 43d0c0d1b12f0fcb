package planhat_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// exampleClient starts an emulator and returns a client for it; real code passes the
// tenant's token and region instead of BaseURL.
func exampleClient() (*planhat.Client, *planhatemu.Server, func()) {
	srv := planhatemu.New(planhatemu.WithToken("example-token"), planhatemu.WithTenant(testTenant))
	ts := httptest.NewServer(srv.Handler())
	c, err := planhat.NewClient(planhat.Options{
		Token:        "example-token",
		TenantToken:  testTenant,
		BaseURL:      ts.URL, // instead of Region: "eu"
		AnalyticsURL: ts.URL,
	})
	if err != nil {
		log.Fatal(err)
	}
	return c, srv, ts.Close
}

func ExampleNewClient() {
	c, err := planhat.NewClient(planhat.Options{Token: "token-from-the-environment", Region: "eu"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.BaseURL())
	fmt.Println(c.AnalyticsURL())
	// Output:
	// https://api-eu.planhat.com
	// https://analytics.planhat.com
}

func ExampleExtID() {
	fmt.Println(planhat.ExtID("crm/42"), planhat.SrcID("0015g00000"), planhat.ExtID("crm/42").Kind())
	id, err := planhat.ParseID("srcid-0015g00000")
	fmt.Println(id.Kind(), id.Value(), err)
	_, err = planhat.ParseID("extid-")
	fmt.Println(errors.Is(err, planhat.ErrEmptyID))
	// Output:
	// extid-crm/42 srcid-0015g00000 externalId
	// sourceId 0015g00000 <nil>
	// true
}

func ExampleResource_Get() {
	c, srv, stop := exampleClient()
	defer stop()
	srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "crm-42"})
	ctx := context.Background()

	co, err := c.Companies().Get(ctx, planhat.ExtID("crm-42"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(co.Name)

	_, err = c.Companies().Get(ctx, planhat.ExtID("crm-43"))
	fmt.Println(errors.Is(err, planhat.ErrNotFound))
	// Output:
	// Acme
	// true
}

func ExampleResource_All() {
	c, srv, stop := exampleClient()
	defer stop()
	co := srv.Insert("companies", map[string]any{"name": "Acme"})
	for _, email := range []string{"ann@acme.test", "bob@acme.test", "cy@acme.test"} {
		srv.Insert("endusers", map[string]any{"email": email, "companyId": co})
	}

	opts := &planhat.ListOptions{CompanyIDs: []string{co}, Sort: "-email", Limit: 2} // pages of 2
	for u, err := range c.EndUsers().All(context.Background(), opts) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.Email)
	}
	// Output:
	// cy@acme.test
	// bob@acme.test
	// ann@acme.test
}

func ExampleResource_BulkUpsert() {
	c, srv, stop := exampleClient()
	defer stop()
	companies := make([]planhat.Company, 12001)
	for i := range companies {
		companies[i] = planhat.Company{Name: fmt.Sprintf("Customer %d", i), ExternalID: fmt.Sprintf("crm-%d", i)}
	}

	res, err := c.Companies().BulkUpsert(context.Background(), companies)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", res.Created, "requests:", len(res.Chunks), "stored:", srv.Count("companies"))
	// Output:
	// created: 12001 requests: 3 stored: 12001
}

func ExampleBulkError() {
	c, _, stop := exampleClient()
	defer stop()
	companies := []planhat.Company{{Name: "Acme", ExternalID: "a"}, {ExternalID: "no-name"}}

	res, err := c.Companies().BulkUpsert(context.Background(), companies)
	var bulkErr *planhat.BulkError
	if errors.As(err, &bulkErr) {
		fmt.Println("status:", bulkErr.StatusCode, "created:", res.Created, "failed:", len(res.CreatedErrors))
	}
	// Output:
	// status: 206 created: 1 failed: 1
}

func ExampleClient_LogNote() {
	c, srv, stop := exampleClient()
	defer stop()
	srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "crm-42"})

	note, err := c.LogNote(context.Background(), planhat.Note{
		CompanyID:   planhat.ExtID("crm-42").String(),
		Subject:     "Chatbot conversation",
		Description: "The customer asked about invoice #1001.",
		Date:        time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(note.Type, note.CompanyName, note.Subject)

	_, err = c.Conversations().Create(context.Background(), planhat.Conversation{Type: "email", CompanyID: note.CompanyID})
	fmt.Println(err)
	// Output:
	// note Acme Chatbot conversation
	// planhat: conversation: type "email" is reserved by Planhat (email, chat, ticket, call) and cannot be created over the API; use "note" or a custom type defined in Planhat
}

func ExampleClient_TrackBatch() {
	c, srv, stop := exampleClient()
	defer stop()

	err := c.TrackBatch(context.Background(), []planhat.Activity{
		{ExternalID: "user-1", CompanyExternalID: "crm-42", Action: "Chatted with the bot", Count: 3},
		{Email: "ann@acme.test", Action: "Logged in"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(srv.Activities()), "activities recorded")
	// Output:
	// 2 activities recorded
}

func ExampleClient_PushMetrics() {
	c, srv, stop := exampleClient()
	defer stop()
	srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "crm-42"})

	res, err := c.PushMetrics(context.Background(), []planhat.Metric{
		{DimensionID: "botchats", Value: 12, ExternalID: "crm-42"},
		{DimensionID: "bot.chats", Value: 1, ExternalID: "crm-42"}, // Planhat refuses the dot
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("processed:", res.Processed)
	for _, e := range res.Errors {
		fmt.Println("rejected:", e.Message)
	}
	// Output:
	// processed: 1
	// rejected: dimensionId must not contain spaces or special characters
}

func ExampleClient_Objects() {
	c, srv, stop := exampleClient()
	defer stop()
	srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "crm-42"})

	m, _ := planhat.ModelByName("companies")
	rec, err := c.Objects(m).Get(context.Background(), planhat.ExtID("crm-42"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name, m.MaxLimit, rec.String("name"))
	// Output:
	// company 5000 Acme
}
