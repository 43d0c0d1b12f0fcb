package outbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// An outbox delivers what a transaction enqueued: here a deliverer that
// prints each batch, run once with Drain as a short-lived command would.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "outbox-example-")
	defer os.RemoveAll(dir)
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "example.db"), sqlitestore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	print := outbox.DeliverFunc(func(_ context.Context, dest string, items []store.Item) []outbox.Result {
		for _, it := range items {
			fmt.Printf("to %s: %s\n", dest, it.Payload)
		}
		return make([]outbox.Result, len(items)) // all Delivered
	})
	ob, err := outbox.New(outbox.Options{Store: st, Deliverers: map[string]outbox.Deliverer{"greeting": print}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = st.Write(ctx, func(tx store.Tx) error {
		for _, p := range []string{"hello", "world"} {
			if _, err := tx.Enqueue(ctx, store.NewItem{Kind: "greeting", Dest: "tenant-1", Payload: []byte(p)}, ob.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if _, err := ob.Drain(ctx); err != nil {
		fmt.Println(err)
	}
	n, _ := st.Backlog(ctx)
	fmt.Println("left:", n)
	// Output:
	// to tenant-1: hello
	// to tenant-1: world
	// left: 0
}
