package cli

import (
	"fmt"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/integrations"
)

// botpressCmd groups Botpress tooling.
type botpressCmd struct {
	Definition botpressDefinitionCmd `cmd:"" help:"Print an integration's definition: the JSON body of Botpress's createIntegration."`
}

// botpressDefinitionCmd has one subcommand per integration.
type botpressDefinitionCmd struct {
	Planhat definitionPlanhatCmd `cmd:"" help:"The planhat integration."`
	Planfix definitionPlanfixCmd `cmd:"" help:"The planfix integration (human hand-off, Botpress's HITL interface)."`
}

// definitionPlanfixCmd prints the planfix integration's definition.
type definitionPlanfixCmd struct {
	URL         string `name:"url" env:"PLANBRIDGE_PUBLIC_URL" help:"Public URL Botpress should call (e.g. https://bridge.example.com/botpress/planfix/YOUR_SECRET); omitted from the JSON when empty."`
	Dev         bool   `name:"dev" help:"Mark the integration as a development integration (dev: true)."`
	Workspace   string `name:"workspace" env:"PLANBRIDGE_BOTPRESS_WORKSPACE" placeholder:"HANDLE" help:"Handle of the Botpress workspace that publishes the integration; the name becomes <HANDLE>/planfix."`
	InterfaceID string `name:"hitl-interface-id" env:"PLANBRIDGE_HITL_INTERFACE_ID" help:"The Hub's id of the hitl interface 2.1.0 (getPublicInterface); a placeholder when empty."`
}

// Run prints the definition JSON on stdout.
func (c *definitionPlanfixCmd) Run(env *Env) error {
	name, err := integrations.QualifiedName(c.Workspace, integrations.PlanfixName)
	if err != nil {
		return fmt.Errorf("--workspace (PLANBRIDGE_BOTPRESS_WORKSPACE): %w", err)
	}
	def := integrations.PlanfixDefinition(c.URL, c.InterfaceID)
	def.Name, def.Dev = name, c.Dev
	b, err := def.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
	return err
}

// definitionPlanhatCmd prints the planhat integration's definition.
type definitionPlanhatCmd struct {
	URL       string `name:"url" env:"PLANBRIDGE_PUBLIC_URL" help:"Public URL Botpress should call (e.g. https://bridge.example.com/botpress/planhat/YOUR_SECRET); omitted from the JSON when empty."`
	Dev       bool   `name:"dev" help:"Mark the integration as a development integration (dev: true)."`
	Workspace string `name:"workspace" env:"PLANBRIDGE_BOTPRESS_WORKSPACE" placeholder:"HANDLE" help:"Handle of the Botpress workspace that publishes the integration; the name becomes <HANDLE>/planhat, which Botpress requires outside its own workspace."`
}

// Run prints the definition JSON on stdout.
func (c *definitionPlanhatCmd) Run(env *Env) error {
	// Checked first so a bad handle never yields a definition Botpress
	// would refuse.
	name, err := integrations.QualifiedName(c.Workspace, integrations.PlanhatName)
	if err != nil {
		return fmt.Errorf("--workspace (PLANBRIDGE_BOTPRESS_WORKSPACE): %w", err)
	}
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		return fmt.Errorf("building the action registry: %w", err)
	}
	def, err := integrations.PlanhatDefinition(reg, c.URL)
	if err != nil {
		return err
	}
	def.Name = name
	def.Dev = c.Dev
	b, err := def.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
	return err
}
