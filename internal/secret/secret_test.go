package secret_test

import (
	"fmt"
	"testing"

	"github.com/planbridge/planbridge/internal/secret"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  *secret.Set
		got  string
		want bool
	}{
		{"current", secret.NewSet("new-token", "old-token"), "new-token", true},
		{"previous during a rotation", secret.NewSet("new-token", "old-token"), "old-token", true},
		{"wrong", secret.NewSet("new-token"), "new-tokeN", false},
		{"prefix", secret.NewSet("new-token"), "new", false},
		{"longer", secret.NewSet("new-token"), "new-token-", false},
		{"empty never matches", secret.NewSet("new-token"), "", false},
		{"empty secrets are ignored", secret.NewSet("", "k"), "", false},
		{"nil set", nil, "k", false},
		{"no secrets", secret.NewSet(), "k", false},
	}
	for _, tt := range tests {
		if got := tt.set.Match(tt.got); got != tt.want {
			t.Errorf("%s: Match(%q) = %v, want %v", tt.name, tt.got, got, tt.want)
		}
	}
	if n := secret.NewSet("a", "", "b").Len(); n != 2 {
		t.Errorf("Len = %d, want 2 (blank secrets skipped)", n)
	}
	if n := (*secret.Set)(nil).Len(); n != 0 {
		t.Errorf("nil Len = %d, want 0", n)
	}
}

func ExampleSet() {
	tokens := secret.NewSet("current-token", "previous-token")
	fmt.Println(tokens.Match("previous-token"), tokens.Match("guess"))
	// Output: true false
}
