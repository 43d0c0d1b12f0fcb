package planhatemu_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// Example serves both Planhat hosts on one handler, as the standalone
// command does, and bulk-upserts two companies of which one lacks its
// required name: Planhat answers 206 with the failure in createdErrors.
func Example() {
	emu := planhatemu.New(planhatemu.WithToken("secret"), planhatemu.WithRateLimit(200, time.Minute))
	hs := httptest.NewServer(emu.Handler())
	defer hs.Close()

	body := `[{"name":"Acme","externalId":"acme-1"},{"externalId":"acme-2"}]`
	req, _ := http.NewRequest(http.MethodPut, hs.URL+"/companies", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	var result struct {
		Created       int
		CreatedErrors []struct{ Error string }
	}
	if err := json.NewDecoder(res.Body).Decode(&result); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("status:", res.StatusCode, "remaining:", res.Header.Get("X-Rate-Limit-Remaining"))
	fmt.Println("created:", result.Created, "error:", result.CreatedErrors[0].Error)
	acme, _ := emu.Object("companies", "extid-acme-1")
	fmt.Println("stored:", acme["name"], "calls:", emu.Stats().ByRoute["PUT /companies"])
	// Output:
	// status: 206 remaining: 199
	// created: 1 error: name is required: check the required fields of companies in Planhat's API reference
	// stored: Acme calls: 1
}

// ExampleSwitches_Set turns on unverified behaviours by name, as the
// command's --switch flag does.
func ExampleSwitches_Set() {
	var sw planhatemu.Switches
	for _, name := range []string{"retry-after", "delete-by-keyable", "string-errors=false"} {
		if err := sw.Set(name); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(sw.RetryAfter, sw.DeleteByKeyable, sw.StringErrors)
	fmt.Println(sw.Set("clamp-everything"))
	// Output:
	// true true false
	// unknown emulator switch "clamp-everything": choose one of bulk-duplicates-fail, comma-string-lists, conversation-enduser-ids, delete-by-keyable, delete-missing-ok, delete-returns-object, empty-string-booleans, list-shape-owners, metrics-require-auth, no-rate-limit-headers, notes-not-found, numbers-for-strings, reject-over-max-limit, replace-custom-on-update, retry-after, string-bulk-errors, string-errors, touch-updated-at-on-noop
}
