package actions_test

import (
	"regexp"
	"testing"

	"github.com/planbridge/planbridge/actions"
)

// Action names are generated from model titles, so an irregular plural
// ("TimeEntrys") would slip into the public contract unnoticed.
func TestActionNamesHaveRegularEnglishPlurals(t *testing.T) {
	t.Parallel()
	bad := regexp.MustCompile(`[^aeiou]ys$|sss$|[^s]ss$|ys([A-Z]|$)`)
	for _, a := range actions.Planhat() {
		if bad.MatchString(a.Name) || bad.MatchString(a.Group) {
			t.Errorf("action %q (group %q) has an irregular plural; set the model's Plural in planhat/models.go", a.Name, a.Group)
		}
	}
}
