// Package actions is the single action registry behind every door of
// planbridge: the Botpress integration, the REST API, the MCP server and the
// command line all list, describe and call the same actions.
//
// An [Action] has a stable name, a title and a description written for bot
// builders and LLMs, and JSON Schemas for its input and output (draft 2020-12
// as produced by github.com/google/jsonschema-go; every property carries a
// title and a description, as the Botpress linter demands). Actions are built
// from ordinary Go functions:
//
//	getThing := actions.NewPlanhat("getThing", "Get Thing", "Gets one thing by id.",
//		func(ctx context.Context, c *planhat.Client, in GetThingInput) (Thing, error) { ... },
//		actions.ReadOnly())
//
// # Calling
//
// [Registry.Invoke] is the one entry point every door uses: it looks the
// action up, parses and validates the input in one pass, runs the action
// with the dependencies the door hands over in [Deps] (never through the
// context), classifies any failure and tells the registry's observers
// (metrics, tests) and logger. Problems with the input come back together,
// field by field ("companyId: required; limit: must be <= 5000").
// Validation is strict about types and, where the schema is closed, about
// unknown fields (Botpress sends exactly the schema's fields); schemas of
// Planhat records are open, so any Planhat field passes through to Planhat.
// A null for an optional field counts as absent, because the Botpress
// Studio sends null for fields left empty.
//
// An action declares what it needs by how it is built: [New] needs nothing,
// [NewPlanhat] receives the door's Planhat client, [NewWith] any [Deps].
// [Registry.Unmet] tells a door at start-up which actions it cannot serve.
//
// # Errors
//
// A failed call yields one [*Error]: a stable [Code] whose properties (HTTP
// status, retryable, user-fixable, CLI exit status) sit in one table
// ([Codes]), the real retry-after when Planhat or the limiter named one,
// and a message that says what to do and never contains a secret. The
// message is worded for the door's callers through its [Wording]: a bot
// builder is told about the integration's configuration, a CLI user about
// PLANHAT_TOKEN, a REST caller about the server's operator.
//
// # Planhat
//
// [Planhat] returns the Planhat actions: create, get, update, delete, list
// and bulk upsert for every model of the planhat client's model registry
// (createCompany, getEndUser, listTasks, bulkUpsertOpportunities, ...), the
// six asset actions with the exact inputs and outputs of the upstream Botpress
// Planhat integration (createAsset, updateAsset, getAsset, listAssets,
// deleteAsset, bulkUpsertAssets), and task-shaped helpers: findCompany,
// findEndUserByEmail, findUserByEmail, logNote, createTicket, logCall,
// trackActivity, trackActivities and pushMetrics.
package actions
