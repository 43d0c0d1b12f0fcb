package server

import (
	"context"
	"time"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/store"
)

// SharedBudget lets the planhat limiters of every replica on one database draw each token's
// budget from b (see planhat.Limiters.Share). Only a store several processes share needs
// it: on SQLite one process owns the database and its in-memory buckets are exact.
func SharedBudget(b store.Budgets) planhat.SharedBudget { return storeBudget{b} }

type storeBudget struct{ b store.Budgets }

func (s storeBudget) Take(ctx context.Context, key string, n, requests int, window time.Duration, burst int) (int, time.Duration, error) {
	return s.b.TakeBudget(ctx, "planhat:"+key, n, requests, window, burst, time.Now())
}
