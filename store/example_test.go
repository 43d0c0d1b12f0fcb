package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// A business write and the outbox item it causes commit together: the
// messages of a conversation and the work to deliver it.
func ExampleStore_Write() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "store-example-")
	defer os.RemoveAll(dir)
	var st store.Store
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "example.db"), sqlitestore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	now := time.Now()
	err = st.Write(ctx, func(tx store.Tx) error {
		if err := tx.UpsertConversation(ctx, store.ConversationUpdate{Dest: "d1", ID: "c1", CompanyID: "acme", Now: now}); err != nil {
			return err
		}
		if _, err := tx.AppendMessages(ctx, "d1", "c1", []store.Message{{Author: "user", Text: "hi", ReceivedAt: now}}); err != nil {
			return err
		}
		_, err := tx.Enqueue(ctx, store.NewItem{Kind: "planhat.conversation", Dest: "d1", Key: "c1", Coalesce: "c1", Payload: []byte(`{}`)}, now)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	stats, _ := st.Stats(ctx)
	conv, _ := st.Conversation(ctx, "d1", "c1")
	fmt.Println(stats.ByState[store.StateAvailable], "item available;", conv.Messages, "message stored")
	// Output: 1 item available; 1 message stored
}
