package integrations_test

import (
	"errors"
	"fmt"

	"github.com/planbridge/planbridge/integrations"
)

// A Botpress configuration's apiUrl is untrusted: only https Planhat hosts
// pass unless the operator widens the policy.
func ExampleHostPolicy_CheckURL() {
	policy := integrations.HostPolicy{Suffixes: []string{".planhat.com"}, Extra: integrations.ParseAllowHosts("planhat.corp.example")}
	for _, u := range []string{
		"https://api-eu.planhat.com",
		"https://planhat.corp.example",
		"http://api.planhat.com",
		"https://169.254.169.254/latest/meta-data",
	} {
		_, err := policy.CheckURL(u)
		fmt.Println(u, errors.Is(err, integrations.ErrHostNotAllowed))
	}
	// Output:
	// https://api-eu.planhat.com false
	// https://planhat.corp.example false
	// http://api.planhat.com true
	// https://169.254.169.254/latest/meta-data true
}

// Tokens appear in logs and metrics only as fingerprints.
func ExampleTokenFingerprint() {
	fmt.Println(len(integrations.TokenFingerprint("a-planhat-api-token")))
	// Output: 12
}
