package cli_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/planbridge/planbridge/cli"
)

// Run is the whole program: here it runs one action in sandbox mode (no
// PLANHAT_TOKEN in the environment it is given), against the built-in,
// seeded Planhat emulator.
func ExampleRun() {
	noEnv := func(string) string { return "" }
	var out strings.Builder
	code := cli.Run(context.Background(),
		[]string{"call", "findCompany", "--input", `{"externalId": "seed-company-2"}`},
		strings.NewReader(""), &out, io.Discard, noEnv)
	fmt.Println("exit status", code)
	fmt.Print(out.String())
	// Output:
	// exit status 0
	// {
	//   "found": true,
	//   "company": {
	//     "id": "65927f10000c01000000000a",
	//     "name": "Blue Energy 2",
	//     "externalId": "seed-company-2",
	//     "sourceId": "crm-000002",
	//     "slug": "blue-energy-2"
	//   },
	//   "matchCount": 1
	// }
}
