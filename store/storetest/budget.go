package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/store"
)

// testBudgets takes calls from a bucket of 60 a minute (one a second), burst 3.
func testBudgets(t *testing.T, s store.Store) {
	ctx := context.Background()
	type take struct {
		Granted int
		RetryIn time.Duration
	}
	steps := []struct {
		sec  int
		n    int
		want take
	}{
		{0, 2, take{2, 0}},           // a new bucket starts full
		{0, 2, take{1, time.Second}}, // one left; the next is a second away
		{0, 1, take{0, time.Second}},
		{1, 1, take{1, 0}},                              // refilled by the elapsed second
		{11, 5, take{3, time.Second}},                   // no more than the burst after idling
		{10, 1, take{0, time.Second}},                   // a clock behind the last taker refills nothing
		{12, 4, take{1, time.Second}},                   // and takes no time back
		{12, 1, take{0, time.Second}},                   //
		{13, 1, take{1, 0}},                             //
		{13, 1, take{0, time.Second}},                   //
		{14, 1, take{1, 0}},                             //
		{14, 3, take{Granted: 0, RetryIn: time.Second}}, //
	}
	for i, st := range steps {
		g, r, err := s.TakeBudget(ctx, "token-a", st.n, 60, time.Minute, 3, at(st.sec))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if diff := cmp.Diff(st.want, take{g, r}); diff != "" {
			t.Errorf("step %d (take %d at %ds) (-want +got):\n%s", i, st.n, st.sec, diff)
		}
	}
	// Buckets are independent.
	if g, _, err := s.TakeBudget(ctx, "token-b", 3, 60, time.Minute, 3, at(14)); err != nil || g != 3 {
		t.Errorf("another bucket granted %d, %v; want its full burst of 3", g, err)
	}
	if _, _, err := s.TakeBudget(ctx, "", 1, 60, time.Minute, 3, at(0)); err == nil {
		t.Error("a bucket without a key was accepted")
	}
}

// testBudgetsConcurrent has 8 takers race for a bucket of burst 10 that does not refill
// in the instant they share: exactly 10 calls are granted.
func testBudgetsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				g, _, err := s.TakeBudget(ctx, "shared", 1, 1, time.Hour, 10, at(0))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += g
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if total != 10 {
		t.Errorf("granted %d calls from a bucket of 10", total)
	}
}
