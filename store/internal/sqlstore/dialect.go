// Package sqlstore is the SQL that store/sqlitestore and store/pgstore
// share: one implementation of store.Store over database/sql, told by a
// Dialect what differs between SQLite and PostgreSQL.
package sqlstore

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Dialect is what differs between the databases the shared SQL runs on.
type Dialect struct {
	// Name is what Store.Dialect reports: "sqlite" or "postgres".
	Name string
	// Prefix starts every error message, e.g. "sqlitestore".
	Prefix string
	// Numbered makes placeholders $1, $2, ... instead of ?.
	Numbered bool
	// ForUpdate is appended to reads inside a write transaction that
	// decide what the transaction writes, so concurrent writers queue on
	// the rows instead of deciding from the same stale snapshot.
	ForUpdate string
	// SkipLocked is appended to the claim's row selection so concurrent
	// claimers pass over each other's rows instead of waiting for them.
	SkipLocked string
	// KeyLock, when set, is run with the item's destination and key
	// before a keyed item is inserted. With concurrent writers, ids are
	// taken in insert order but become visible in commit order; holding a
	// lock per key until commit makes the two agree, so a claimer never
	// sees a key's later item before its earlier one.
	KeyLock string
	// IndexedBy turns the shared SQL's INDEXED(name) hints into SQLite's
	// INDEXED BY clauses; without it they are dropped. SQLite plans without
	// statistics unless ANALYZE ran, and then prefers any equality on a
	// column to a partial index's range: the hints pin the plans the
	// indexes were made for. PostgreSQL plans from the statistics its
	// autovacuum keeps.
	IndexedBy bool
	// Retryable reports errors (deadlock, serialization failure) after
	// which the store's own short writes are run again.
	Retryable func(error) bool

	rebound sync.Map // shared SQL -> the dialect's
}

// q rewrites a query written with ? placeholders and INDEXED(name) hints
// for the dialect. None of the shared SQL has a ? inside a literal, so a
// plain scan is exact.
func (d *Dialect) q(query string) string {
	if v, ok := d.rebound.Load(query); ok {
		return v.(string)
	}
	out := hints.ReplaceAllStringFunc(query, func(h string) string {
		if !d.IndexedBy {
			return ""
		}
		return " INDEXED BY " + h[len(" INDEXED("):len(h)-1]
	})
	n := 0
	if d.Numbered {
		var b strings.Builder
		b.Grow(len(out) + 16)
		for i := 0; i < len(out); i++ {
			if out[i] == '?' {
				n++
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
				continue
			}
			b.WriteByte(out[i])
		}
		out = b.String()
	} else {
		n = strings.Count(out, "?")
	}
	// IN lists and multi-row inserts vary in length; caching only the
	// short ones keeps the cache to a few hundred entries.
	if n <= 64 {
		d.rebound.Store(query, out)
	}
	return out
}

var hints = regexp.MustCompile(` INDEXED\([a-z_]+\)`)

// marks returns n comma-separated placeholders.
func marks(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
