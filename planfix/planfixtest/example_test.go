package planfixtest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/planbridge/planbridge/planfix/planfixtest"
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
	srv := planfixtest.NewServer(t)

	res, err := http.PostForm(srv.Endpoint(), url.Values{"cmd": {"newMessage"}, "providerId": {srv.ProviderID},
		"planfix_token": {srv.PlanfixToken}, "chatId": {"c1"}, "contactId": {"u1"}, "contactName": {"Ivan"}, "message": {"Hi"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	res.Body.Close()
	fmt.Println(res.StatusCode, len(srv.Tasks()))

	t.finish()
	_, err = http.Get(srv.Endpoint())
	fmt.Println("after the test:", err != nil)
	// Output:
	// 200 1
	// after the test: true
}
