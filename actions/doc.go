// Package actions is the single action registry behind every door of
// planbridge: the Botpress integration, the REST API, the MCP server and the
// command line all list, describe and call the same actions.
//
// An [Action] has a stable name, a title and a description written for bot
// builders and LLMs, and JSON Schemas for its input and output (draft 2020-12
// as produced by github.com/google/jsonschema-go; every property carries a
// title and a description, as the Botpress linter demands). Actions are built
// from ordinary Go functions with [New]:
//
//	getThing := actions.New("getThing", "Get Thing", "Gets one thing by id.",
//		func(ctx context.Context, in GetThingInput) (Thing, error) { ... },
//		actions.ReadOnly())
//
// # Calling
//
// [Registry.Call] takes the action name and the raw JSON input. The input is
// parsed and validated against the schema before anything runs; problems come
// back together, field by field, in an [*InputError]
// ("companyId: required; limit: must be <= 5000"). Validation is strict about
// types and, where the schema is closed, about unknown fields (Botpress sends
// exactly the schema's fields); schemas of Planhat records are open, so any
// Planhat field passes through to Planhat. A null for an optional field counts
// as absent, because the Botpress Studio sends null for fields left empty.
//
// # Errors
//
// Every door answers errors the same way through [Classify], which maps
// input errors and the planhat client's typed errors to a stable code
// (invalid_input, not_found, unauthorized, forbidden, rate_limited,
// upstream_timeout, upstream_error, partial_failure, internal, ...) and a
// message that says what to do and never contains a secret. UserFixable
// tells the Botpress door to answer a RuntimeError (400, message shown to the
// bot builder) rather than an internal error (500).
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
// trackActivity, trackActivities and pushMetrics. They use the Planhat client
// the door stored in the context with [WithPlanhat].
package actions
