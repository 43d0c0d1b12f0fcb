package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/planbridge/planbridge/actions"
)

// OpenAPI builds the OpenAPI 3.1 document of the REST door from the
// registry: one POST path per action, with the action's JSON Schemas as the
// request and response bodies (3.1 uses JSON Schema 2020-12 as is), plus
// the paths of other doors (extra, by path), which replace none of them.
func OpenAPI(reg *actions.Registry, version string, extra ...map[string]any) ([]byte, error) {
	errorResponse := func(desc string) map[string]any {
		return map[string]any{
			"description": desc,
			"content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/Error"},
			}},
		}
	}
	paths := map[string]any{
		"/v1/actions": map[string]any{
			"get": map[string]any{
				"operationId": "listActions",
				"summary":     "List actions",
				"description": "Lists every action with its title, description and input/output JSON Schemas.",
				"tags":        []string{"meta"},
				"responses": map[string]any{
					"200": map[string]any{
						"description": "The actions, sorted by name.",
						"content": map[string]any{"application/json": map[string]any{
							"schema": map[string]any{"type": "object", "properties": map[string]any{
								"actions": map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
							}},
						}},
					},
					"401": errorResponse("Missing or wrong API key."),
				},
			},
		},
	}
	for _, a := range reg.All() {
		tags := []string{"actions"}
		if a.Group != "" {
			tags = []string{a.Group}
		}
		op := map[string]any{
			"operationId": a.Name,
			"summary":     a.Title,
			"description": a.Description,
			"tags":        tags,
			"requestBody": map[string]any{
				"required": true,
				"content":  map[string]any{"application/json": map[string]any{"schema": a.Input}},
			},
			"responses": map[string]any{
				"200": map[string]any{
					"description": "The action's output.",
					"content":     map[string]any{"application/json": map[string]any{"schema": a.Output}},
				},
				"400": errorResponse("Malformed JSON (malformed_json) or input that fails the schema or Planhat's checks (invalid_input)."),
				"401": errorResponse("Missing or wrong API key (unauthenticated)."),
				"404": errorResponse("The Planhat record does not exist (not_found)."),
				"413": errorResponse("The body exceeds the size limit (payload_too_large)."),
				"415": errorResponse("The body is not application/json (unsupported_media_type)."),
				"429": errorResponse("Planhat's rate limit is used up (rate_limited); retry later."),
				"502": errorResponse("Planhat refused the server's token or failed (unauthorized, forbidden, upstream_error, partial_failure)."),
			},
		}
		if a.ReadOnly {
			op["x-read-only"] = true
		}
		if a.Destructive {
			op["x-destructive"] = true
		}
		paths["/v1/actions/"+a.Name] = map[string]any{"post": op}
	}
	for _, m := range extra {
		for p, v := range m {
			if _, dup := paths[p]; !dup {
				paths[p] = v
			}
		}
	}
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":       "planbridge REST API",
			"version":     version,
			"description": "Run planbridge's actions (Planhat and more) over HTTP. Every action takes its input as the JSON body and answers its output as JSON; errors are {\"error\":{\"code\",\"message\",\"requestId\"}} with stable codes.",
		},
		"security": []any{map[string]any{"apiKey": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{
					"type":        "http",
					"scheme":      "bearer",
					"description": "One of the keys in the server's PLANBRIDGE_API_KEYS.",
				},
			},
			"schemas": map[string]any{
				"Error": map[string]any{
					"type":     "object",
					"required": []string{"error"},
					"properties": map[string]any{
						"error": map[string]any{
							"type":     "object",
							"required": []string{"code", "message"},
							"properties": map[string]any{
								"code":      map[string]any{"type": "string", "description": "Stable, machine-readable error code."},
								"message":   map[string]any{"type": "string", "description": "What went wrong and what to do."},
								"requestId": map[string]any{"type": "string", "description": "The request id, also in the X-Request-Id header and the server log."},
								"retryable": map[string]any{"type": "boolean", "description": "Whether the same call may succeed later unchanged."},
							},
						},
					},
				},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// openAPIHandler serves a document built once at start-up.
func openAPIHandler(doc []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(doc)
	})
}
