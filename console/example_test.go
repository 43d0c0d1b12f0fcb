package console_test

import (
	"fmt"
	"time"

	"github.com/planbridge/planbridge/console"
	"github.com/planbridge/planbridge/outbox"
)

// ExampleHistory feeds the overview's chart: every outbox delivery is
// recorded, and the last hour comes back per minute.
func ExampleHistory() {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	h := console.NewHistory(func() time.Time { return now })
	h.Record(outbox.Delivery{Dest: "dest-1", Kind: "planhat.conversation", Verdicts: map[outbox.Verdict]int{outbox.Delivered: 40, outbox.Retry: 2}})
	series := h.Series("dest-1")
	last := series[len(series)-1]
	fmt.Println(len(series), last.Start.Format("15:04"), last.Delivered, last.Failed)
	// Output: 60 12:00 40 2
}
