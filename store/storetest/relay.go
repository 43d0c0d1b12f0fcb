package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/planbridge/planbridge/store"
)

func upsert(t *testing.T, s store.Store, c store.ConversationUpdate) {
	t.Helper()
	if err := s.Write(context.Background(), func(tx store.Tx) error {
		return tx.UpsertConversation(context.Background(), c)
	}); err != nil {
		t.Fatalf("UpsertConversation: %v", err)
	}
}

func appendMessages(s store.Store, dest, conv string, msgs ...store.Message) (int, error) {
	var n int
	err := s.Write(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.AppendMessages(context.Background(), dest, conv, msgs)
		return err
	})
	return n, err
}

func conversation(t *testing.T, s store.Store, dest, id string) store.Conversation {
	t.Helper()
	c, err := s.Conversation(context.Background(), dest, id)
	if err != nil {
		t.Fatalf("Conversation(%s, %s): %v", dest, id, err)
	}
	return c
}

func testConversations(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.Conversation(ctx, "d", "c1")
	wantNotFound(t, "Conversation before it exists", err)

	upsert(t, s, store.ConversationUpdate{Dest: "d", ID: "c1", CompanyID: "co1", EndUserEmail: "ann@example.com",
		EndUserName: "Ann", BotName: "Helper", Subject: "Billing", Now: at(0)})
	want := store.Conversation{Dest: "d", ID: "c1", CompanyID: "co1", EndUserEmail: "ann@example.com",
		EndUserName: "Ann", BotName: "Helper", Subject: "Billing", CreatedAt: at(0), UpdatedAt: at(0)}
	diff(t, "created", want, conversation(t, s, "d", "c1"))

	upsert(t, s, store.ConversationUpdate{Dest: "d", ID: "c1", Subject: "Refund", Now: at(10)})
	want.Subject, want.UpdatedAt = "Refund", at(10)
	diff(t, "updated: empty fields keep what is stored", want, conversation(t, s, "d", "c1"))

	if err := s.SetConversationContact(ctx, "d", "c1", "contact-1", "co2"); err != nil {
		t.Fatal(err)
	}
	want.EndUserID, want.ResolvedCompanyID = "contact-1", "co2"
	diff(t, "contact set", want, conversation(t, s, "d", "c1"))
	wantNotFound(t, "SetConversationContact of a missing conversation", s.SetConversationContact(ctx, "d", "nope", "x", "y"))

	upsert(t, s, store.ConversationUpdate{Dest: "other", ID: "c1", Now: at(20)})
	diff(t, "same id, other destination", store.Conversation{Dest: "other", ID: "c1", CreatedAt: at(20), UpdatedAt: at(20)},
		conversation(t, s, "other", "c1"))
	diff(t, "first destination's untouched", want, conversation(t, s, "d", "c1"))

	for _, bad := range []store.ConversationUpdate{{ID: "x", Now: at(0)}, {Dest: "d", Now: at(0)}} {
		if err := s.Write(ctx, func(tx store.Tx) error { return tx.UpsertConversation(ctx, bad) }); err == nil {
			t.Errorf("UpsertConversation(%+v) succeeded", bad)
		}
	}
}

func testMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := appendMessages(s, "d", "c1", store.Message{Author: "user", Text: "hi", ReceivedAt: at(0)})
	wantNotFound(t, "AppendMessages to a missing conversation", err)

	upsert(t, s, store.ConversationUpdate{Dest: "d", ID: "c1", Now: at(0)})
	msgs, err := s.Messages(ctx, "d", "c1", 10)
	if err != nil || len(msgs) != 0 {
		t.Errorf("Messages of an empty conversation = %v, %v", msgs, err)
	}
	n, err := appendMessages(s, "d", "c1",
		store.Message{MessageID: "a", Author: "user", Name: "Ann", Text: "hello", Time: at(1), ReceivedAt: at(2)},
		store.Message{Author: "bot", Text: "no id", ReceivedAt: at(3)},
		store.Message{MessageID: "b", Author: "user", Text: "second", ReceivedAt: at(4)},
		store.Message{MessageID: "a", Author: "user", Text: "a again, same batch", ReceivedAt: at(5)},
	)
	if err != nil || n != 3 {
		t.Fatalf("AppendMessages = %d, %v; want 3", n, err)
	}
	n, err = appendMessages(s, "d", "c1",
		store.Message{MessageID: "b", Author: "user", Text: "b again", ReceivedAt: at(6)},
		store.Message{MessageID: "c", Author: "bot", Text: "third", Seq: 99, ReceivedAt: at(7)},
	)
	if err != nil || n != 1 {
		t.Fatalf("second AppendMessages = %d, %v; want 1", n, err)
	}
	if n, err := appendMessages(s, "d", "c1"); err != nil || n != 0 {
		t.Errorf("AppendMessages of nothing = %d, %v", n, err)
	}
	all := []store.Message{
		{Seq: 1, MessageID: "a", Author: "user", Name: "Ann", Text: "hello", Time: at(1), ReceivedAt: at(2)},
		{Seq: 2, Author: "bot", Text: "no id", ReceivedAt: at(3)},
		{Seq: 3, MessageID: "b", Author: "user", Text: "second", ReceivedAt: at(4)},
		{Seq: 4, MessageID: "c", Author: "bot", Text: "third", ReceivedAt: at(7)},
	}
	for _, tc := range []struct {
		limit int
		want  []store.Message
	}{
		{0, all}, {10, all}, {4, all}, {2, all[2:]}, {1, all[3:]},
	} {
		got, err := s.Messages(ctx, "d", "c1", tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "Messages", tc.want, got)
	}
	if c := conversation(t, s, "d", "c1"); c.Messages != 4 {
		t.Errorf("Conversation.Messages = %d, want 4", c.Messages)
	}
	_, err = s.Messages(ctx, "d", "missing", 10)
	wantNotFound(t, "Messages of a missing conversation", err)

	// The same message id in another conversation is another message.
	upsert(t, s, store.ConversationUpdate{Dest: "d", ID: "c2", Now: at(0)})
	if n, err := appendMessages(s, "d", "c2", store.Message{MessageID: "a", Text: "other", ReceivedAt: at(8)}); err != nil || n != 1 {
		t.Errorf("AppendMessages to c2 = %d, %v; want 1", n, err)
	}
}

func testDestinations(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.Destination(ctx, "fp1")
	wantNotFound(t, "Destination before it exists", err)
	put := func(d store.Destination) {
		t.Helper()
		if err := s.Write(ctx, func(tx store.Tx) error { return tx.PutDestination(ctx, d) }); err != nil {
			t.Fatalf("PutDestination: %v", err)
		}
	}
	d := store.Destination{ID: "fp1", APIURL: "https://api.planhat.com", AnalyticsURL: "https://analytics.planhat.com",
		Token: "secret-token", Tenant: "tenant-uuid", UpdatedAt: at(0)}
	put(d)
	got, err := s.Destination(ctx, "fp1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "Destination", d, got)
	d2 := store.Destination{ID: "fp1", APIURL: "https://api.eu.planhat.com", Token: "new-token", UpdatedAt: at(5)}
	put(d2)
	got, err = s.Destination(ctx, "fp1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "replaced Destination", d2, got, cmpopts.EquateEmpty())
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.PutDestination(ctx, store.Destination{}) }); err == nil {
		t.Errorf("PutDestination without an id succeeded")
	}
}
