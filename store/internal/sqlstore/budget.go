package sqlstore

import (
	"context"
	"math"
	"time"
)

// TakeBudget takes up to n calls from the bucket key: it creates the bucket full when
// missing, then locks its row, refills it by the time elapsed and takes what it holds. The
// row lock makes concurrent replicas take turns, so no call is granted twice.
func (s *Store) TakeBudget(ctx context.Context, key string, n, requests int, window time.Duration, burst int, now time.Time) (int, time.Duration, error) {
	if key == "" || n <= 0 || requests <= 0 || window <= 0 || burst <= 0 {
		return 0, 0, s.errorf("take budget: a bucket needs a key and positive counts (got %q, n %d, %d per %s, burst %d)", key, n, requests, window, burst)
	}
	perMicro := float64(requests) / float64(window.Microseconds())
	granted, retryIn := 0, time.Duration(0)
	err := s.write(ctx, true, func(t *wtx) error {
		at := micros(now)
		if _, err := t.exec(ctx, `INSERT INTO budget_buckets (name, tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			key, float64(burst), at); err != nil {
			return err
		}
		var tokens float64
		var updated int64
		if err := t.queryRow(ctx, `SELECT tokens, updated_at FROM budget_buckets WHERE name = ?`+s.d.ForUpdate, key).Scan(&tokens, &updated); err != nil {
			return err
		}
		// A replica whose clock is behind the last taker's refills nothing rather than
		// taking back time.
		tokens = min(float64(burst), tokens+float64(max(at-updated, 0))*perMicro)
		granted = min(n, int(math.Floor(tokens+1e-9)))
		tokens -= float64(granted)
		if granted < n {
			retryIn = time.Duration(math.Ceil((1-tokens)/perMicro)) * time.Microsecond
		}
		_, err := t.exec(ctx, `UPDATE budget_buckets SET tokens = ?, updated_at = ? WHERE name = ?`, tokens, max(at, updated), key)
		return err
	})
	if err != nil {
		return 0, 0, s.errorf("take budget %s: %w", key, err)
	}
	return granted, retryIn, nil
}
