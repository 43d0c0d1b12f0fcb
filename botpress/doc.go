// Package botpress speaks the Botpress integration protocol from the
// integration's side, for self-hosted ("url" mode) integrations written in Go.
//
// It has three parts:
//
//   - the server side: [NewHandler] turns an [Integration] into an
//     http.Handler that decodes Botpress's context headers and operation
//     bodies, dispatches every operation and answers in the shapes the
//     official SDK uses (action output wrapping, Botpress error JSON);
//   - the Runtime API client ([Client]) an integration uses to call back into
//     Botpress (users, conversations, messages, events, states), with the
//     SDK's headers, query encoding and retry rules;
//   - the definition model ([Definition]) pushed through the Admin API's
//     createIntegration, and [LintDefinition], which enforces the publication
//     checklist rules that can be checked mechanically.
//
// The package imports nothing else from planbridge, so it can be reused for
// any Botpress integration.
package botpress
