package sqlitestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// Example records a conversation message and the outbox item that will
// log it to Planhat in one transaction, then delivers the item as a
// deliverer would: claim, send, finish.
func Example() {
	dir, err := os.MkdirTemp("", "planbridge-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "planbridge.db"), sqlitestore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	err = s.Write(ctx, func(tx store.Tx) error {
		if err := tx.UpsertConversation(ctx, store.ConversationUpdate{Dest: "dest-1", ID: "conv-1", EndUserEmail: "ann@example.com", Now: now}); err != nil {
			return err
		}
		if _, err := tx.AppendMessages(ctx, "dest-1", "conv-1", []store.Message{{MessageID: "m1", Author: "user", Text: "Hello", ReceivedAt: now}}); err != nil {
			return err
		}
		_, err := tx.Enqueue(ctx, store.NewItem{Kind: "planhat.conversation", Dest: "dest-1", Key: "conv-1", Coalesce: "conv-1", Payload: []byte(`{"conversation":"conv-1"}`)}, now)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	items, err := s.ClaimItems(ctx, store.Claim{Dest: "dest-1", Kind: "planhat.conversation", Limit: 10, Owner: "replica-a", Now: now, Until: now.Add(time.Minute)})
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range items {
		fmt.Printf("deliver item %d (attempt %d): %s\n", it.ID, it.Attempts, it.Payload)
	}
	n, err := s.Finish(ctx, "replica-a", now.Add(time.Second), []store.Outcome{{ID: items[0].ID, State: store.StateCompleted}})
	if err != nil {
		log.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("finished", n, "- completed", st.ByState[store.StateCompleted], "- backlog", st.ByState[store.StateAvailable]+st.ByState[store.StateRunning])
	// Output:
	// deliver item 1 (attempt 1): {"conversation":"conv-1"}
	// finished 1 - completed 1 - backlog 0
}
