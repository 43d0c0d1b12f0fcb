package pgstore_test

import (
	"testing"

	"github.com/planbridge/planbridge/store/pgstore"
	"github.com/planbridge/planbridge/store/storetest"
)

func BenchmarkAppendMessages(b *testing.B) {
	for _, group := range []bool{false, true} {
		name := "transaction-per-write"
		if group {
			name = "group-commit"
		}
		b.Run(name, func(b *testing.B) {
			storetest.BenchmarkAppendMessages(b, open(b, pgstore.Options{GroupCommit: group}))
		})
	}
}

func BenchmarkClaimFinish(b *testing.B) {
	storetest.BenchmarkClaimFinish(b, open(b, pgstore.Options{}))
}
