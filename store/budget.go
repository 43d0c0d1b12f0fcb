package store

import (
	"context"
	"time"
)

// Budgets are token buckets in the database, from which several replicas draw one Planhat
// token's call budget, so that together they never exceed it.
type Budgets interface {
	// TakeBudget takes up to n calls from the bucket key at now and returns how many it
	// granted and, when fewer than n, how long until the next one is due. The bucket holds
	// at most burst calls and refills requests per window; a missing bucket starts full.
	TakeBudget(ctx context.Context, key string, n, requests int, window time.Duration, burst int, now time.Time) (granted int, retryIn time.Duration, err error)
}
