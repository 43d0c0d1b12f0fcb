package httpapi

import "time"

// SetOutboxScrapeClock replaces the clock and the store timeout of the
// outbox collector ObserveOutbox registered, so tests need not sleep.
func SetOutboxScrapeClock(m *Metrics, now func() time.Time, timeout time.Duration) {
	m.outboxMu.Lock()
	defer m.outboxMu.Unlock()
	m.outbox.mu.Lock()
	defer m.outbox.mu.Unlock()
	m.outbox.now, m.outbox.timeout = now, timeout
}
