package mcpserver_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/mcpserver"
)

// TestErrorResult: a failure's text leads with the code, and its structured
// content carries what an agent needs to decide whether and when to retry.
func TestErrorResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        *actions.Error
		wantText   string
		wantStruct mcpserver.ToolError
	}{
		{
			name:       "rate limited",
			err:        &actions.Error{Code: actions.CodeRateLimited, Message: "Planhat's rate limit is used up; retry later.", Retryable: true, RetryAfter: 1500 * time.Millisecond},
			wantText:   "rate_limited: Planhat's rate limit is used up; retry later. (retry after 2 s)",
			wantStruct: mcpserver.ToolError{Code: actions.CodeRateLimited, Message: "Planhat's rate limit is used up; retry later.", Retryable: true, RetryAfterSeconds: 2},
		},
		{
			name:     "invalid input",
			err:      &actions.Error{Code: actions.CodeInvalidInput, Message: "invalid input for getCompany: id: required", Fields: []actions.FieldError{{Field: "id", Message: "required"}}},
			wantText: "invalid_input: invalid input for getCompany: id: required",
			wantStruct: mcpserver.ToolError{Code: actions.CodeInvalidInput, Message: "invalid input for getCompany: id: required",
				Fields: []actions.FieldError{{Field: "id", Message: "required"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := mcpserver.ErrorResult(tc.err)
			if !res.IsError || len(res.Content) != 1 {
				t.Fatalf("result %+v: want one text content and IsError", res)
			}
			if got := res.Content[0].(*mcp.TextContent).Text; got != tc.wantText {
				t.Errorf("text %q, want %q", got, tc.wantText)
			}
			if diff := cmp.Diff(tc.wantStruct, res.StructuredContent); diff != "" {
				t.Errorf("structured content (-want +got):\n%s", diff)
			}
		})
	}
}
