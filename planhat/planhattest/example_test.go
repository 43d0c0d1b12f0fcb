package planhattest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
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

// In a test, pass t; the listeners close when the test ends.
func ExampleNewServer() {
	t := &exampleTB{}
	srv := planhattest.NewServer(t, planhatemu.WithToken("secret"), planhatemu.WithSeed(2))

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/companies?limit=10", nil)
	req.Header.Set("Authorization", "Bearer secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	res.Body.Close()
	fmt.Println(res.StatusCode, srv.Stats().ByRoute["GET /companies"])

	t.finish()
	_, err = http.Get(srv.URL + "/companies")
	fmt.Println("after the test:", err != nil)
	// Output:
	// 200 1
	// after the test: true
}
