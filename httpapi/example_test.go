package httpapi_test

import (
	"fmt"

	"github.com/planbridge/planbridge/httpapi"
)

// API keys come from PLANBRIDGE_API_KEYS; blanks around commas are ignored
// and comparison is constant-time.
func ExampleParseAPIKeys() {
	keys := httpapi.ParseAPIKeys("key-one, key-two,")
	fmt.Println(keys.Len(), keys.Valid("key-two"), keys.Valid("key-three"))
	// Output: 2 true false
}
