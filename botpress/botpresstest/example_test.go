package botpresstest_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpresstest"
)

// exampleTB stands in for the *testing.T a real test passes: it runs the
// cleanups NewServer registers when the example ends, as a test would.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (tb *exampleTB) Helper()          {}
func (tb *exampleTB) Cleanup(f func()) { tb.cleanups = append(tb.cleanups, f) }
func (tb *exampleTB) finish() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
}

// In a test, pass t; the listener closes when the test ends.
func ExampleNewServer() {
	t := &exampleTB{}
	bp := botpresstest.NewServer(t)

	client, err := botpress.NewClient(bp.ClientOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	conv, err := client.GetOrCreateConversation(context.Background(), botpress.GetOrCreateConversationInput{Channel: "hitl", Tags: map[string]string{"id": "T-1"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	got, _ := bp.Conversation(conv.ID)
	fmt.Println(got.Channel, got.Tags["id"])

	t.finish()
	_, err = http.Get(bp.URL + "/health")
	fmt.Println("after the test:", err != nil)
	// Output:
	// hitl T-1
	// after the test: true
}
