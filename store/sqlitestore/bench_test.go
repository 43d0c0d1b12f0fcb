package sqlitestore_test

import (
	"testing"

	"github.com/planbridge/planbridge/store/sqlitestore"
	"github.com/planbridge/planbridge/store/storetest"
)

func BenchmarkAppendMessages(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+sync, func(b *testing.B) {
			storetest.BenchmarkAppendMessages(b, open(b, sqlitestore.Options{Synchronous: sync}))
		})
	}
}

func BenchmarkClaimFinish(b *testing.B) {
	storetest.BenchmarkClaimFinish(b, open(b, sqlitestore.Options{}))
}
