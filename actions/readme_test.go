package actions

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestREADMECodeTable keeps the README's table of error codes in step with
// the one table in codes.go.
func TestREADMECodeTable(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	begin, end := strings.Index(readme, "<!-- codes:begin"), strings.Index(readme, "<!-- codes:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md lacks the <!-- codes:begin --> … <!-- codes:end --> table")
	}
	section := readme[begin:end]
	var b strings.Builder
	b.WriteString("| Code | HTTP | Retryable | `call` exit | Meaning |\n|---|---|---|---|---|\n")
	for _, c := range Codes() {
		r := "no"
		if c.Retryable {
			r = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %d | %s |\n", c.Code, c.HTTPStatus, r, c.Exit, c.Summary)
	}
	if !strings.Contains(section, b.String()) {
		t.Errorf("README.md's code table differs from actions.Codes(); replace it with:\n%s", b.String())
	}
}
