package integrations_test

import (
	"testing"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/integrations"
)

func TestPlanfixDefinitionPassesLint(t *testing.T) {
	def := integrations.PlanfixDefinition("https://bridge.example.com/botpress/planfix", "")
	for _, err := range botpress.LintDefinition(def) {
		t.Error(err)
	}
	impl := def.Interfaces["hitl<planfixTask>"]
	if impl == nil || impl.Version != "2.1.0" || len(impl.Actions) != 3 || len(impl.Events) != 2 || impl.Channels["hitl"].Name != "hitl" {
		t.Errorf("the hitl interface statement is incomplete: %+v", impl)
	}
	if _, err := def.JSON(); err != nil {
		t.Fatal(err)
	}
}
