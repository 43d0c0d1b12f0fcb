package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/pgstore"
)

// Example opens the store on a PostgreSQL server (migrating it first, as
// every replica may at start), then claims work the way each replica's
// deliverer does: replicas claiming at once never get the same item.
func Example() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, os.Getenv("PLANBRIDGE_DATABASE_URL"), pgstore.Options{Schema: "planbridge"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	now := time.Now()
	items, err := s.ClaimItems(ctx, store.Claim{Dest: "dest-1", Kind: "planhat.conversation", Limit: 10, Owner: "replica-a", Now: now, Until: now.Add(time.Minute)})
	if err != nil {
		log.Fatal(err)
	}
	var outcomes []store.Outcome
	for _, it := range items {
		fmt.Printf("deliver item %d: %s\n", it.ID, it.Payload)
		outcomes = append(outcomes, store.Outcome{ID: it.ID, State: store.StateCompleted})
	}
	if _, err := s.Finish(ctx, "replica-a", time.Now(), outcomes); err != nil {
		log.Fatal(err)
	}
}

// ExampleMigrate applies the schema ahead of a deploy, as a
// "planbridge migrate" command would.
func ExampleMigrate() {
	applied, err := pgstore.Migrate(context.Background(), os.Getenv("PLANBRIDGE_DATABASE_URL"), pgstore.Options{Schema: "planbridge"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("applied", applied)
}
