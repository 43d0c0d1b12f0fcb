package pgstore_test

import (
	"testing"

	"github.com/planbridge/planbridge/store/pgstore"
	"github.com/planbridge/planbridge/store/storetest"
)

func BenchmarkAppendMessages(b *testing.B) {
	storetest.BenchmarkAppendMessages(b, open(b, pgstore.Options{}))
}

func BenchmarkClaimFinish(b *testing.B) {
	storetest.BenchmarkClaimFinish(b, open(b, pgstore.Options{}))
}
