package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/cli"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// doorAnswer is what one door told its caller about a failed call, reduced
// to the facts every door must agree on.
type doorAnswer struct {
	Code       actions.Code
	Retryable  bool
	RetryAfter int // seconds; 0 when the door named none
}

// TestSameFailureSameAnswerOnEveryDoor provokes each class of failure and
// asks the Botpress door, the REST door and 'planbridge call' about it:
// each answers in its own wire format, but with the same stable code,
// retryability and retry-after, because one pipeline classified it.
func TestSameFailureSameAnswerOnEveryDoor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		action string
		input  func(s *stack) string
		// setup provokes the failure; it returns the token the REST door's
		// and the CLI's configuration should use ("" means the good one).
		setup func(s *stack) (token string)
		want  doorAnswer
		opts  []stackOption
	}{
		{"bad token", "getCompany", func(s *stack) string { return `{"id":"` + s.firstID(t, "companies") + `"}` },
			func(s *stack) string {
				s.config = s.configWith(map[string]any{"apiToken": "not-the-token"})
				return "not-the-token"
			},
			doorAnswer{Code: actions.CodeUnauthorized}, nil},
		{"not found", "getCompany", func(*stack) string { return `{"id":"extid-nobody-here"}` },
			func(*stack) string { return "" },
			doorAnswer{Code: actions.CodeNotFound}, nil},
		{"invalid input", "getCompany", func(*stack) string { return `{"id":"not an id"}` },
			func(*stack) string { return "" },
			doorAnswer{Code: actions.CodeInvalidInput}, nil},
		{"upstream down", "listCompanies", func(*stack) string { return `{"limit":1}` },
			func(s *stack) string { s.planhat.FailNext(1000, http.StatusServiceUnavailable); return "" },
			doorAnswer{Code: actions.CodeUpstreamError, Retryable: true}, nil},
		// A quota of one call a minute, used up by the setup: every door's
		// call gets Planhat's 429 with Retry-After, and each answers at
		// once (not after a minute) with the real wait.
		{"rate limited", "listCompanies", func(*stack) string { return `{"limit":1}` },
			func(s *stack) string {
				s.planhat.SetSwitches(func(sw *planhatemu.Switches) { sw.RetryAfter = true })
				if _, err := s.phClient.Companies().List(context.Background(), nil); err != nil {
					t.Fatal(err)
				}
				return ""
			},
			doorAnswer{Code: actions.CodeRateLimited, Retryable: true, RetryAfter: 60},
			[]stackOption{withPlanhat(planhatemu.WithRateLimit(1, time.Minute))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			probe := newStack(t, tt.opts...)
			token := tt.setup(probe)
			if token == "" {
				token = probe.planhat.Token
			}
			// The REST door uses the server's own client: a stack whose
			// server holds the same token as the Botpress configuration.
			s := probe
			if token != probe.planhat.Token {
				s = newStack(t, append(tt.opts, withRESTToken(token))...)
				s.config = probe.config
				s.config["apiUrl"], s.config["analyticsUrl"] = s.planhat.URL, s.planhat.AnalyticsURL
			}
			input := tt.input(s)
			got := map[string]doorAnswer{
				"botpress": s.botpressAnswer(t, tt.action, input),
				"rest":     s.restAnswer(t, tt.action, input),
				"cli":      s.cliAnswer(t, tt.action, input, token),
			}
			want := map[string]doorAnswer{"botpress": tt.want, "rest": tt.want, "cli": tt.want}
			for door, a := range got {
				// Each door's call meets the same quota window a moment
				// later than the one before, so the remaining wait may be
				// a few seconds shorter on a slow machine; never longer.
				if a.RetryAfter > 0 && a.RetryAfter <= tt.want.RetryAfter && a.RetryAfter >= tt.want.RetryAfter-5 {
					a.RetryAfter = tt.want.RetryAfter
					got[door] = a
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("doors disagree (-want +got):\n%s", diff)
			}
		})
	}
}

// botpressAnswer reads the code from the Botpress error's metadata.
func (s *stack) botpressAnswer(t *testing.T, action, input string) doorAnswer {
	t.Helper()
	resp := s.action(t, action, json.RawMessage(input))
	e := resp.APIError()
	if e == nil {
		t.Fatalf("Botpress door: not an error answer: %d %s", resp.Status, resp.Body)
	}
	a := doorAnswer{}
	code, _ := e.Metadata["code"].(string)
	a.Code = actions.Code(code)
	a.Retryable, _ = e.Metadata["retryable"].(bool)
	if n, ok := e.Metadata["retryAfterSeconds"].(float64); ok {
		a.RetryAfter = int(n)
	}
	return a
}

// restAnswer calls the REST door.
func (s *stack) restAnswer(t *testing.T, action, input string) doorAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.url+"/v1/actions/"+action, strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct {
			Code      actions.Code `json:"code"`
			Retryable *bool        `json:"retryable"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Retryable == nil {
		t.Fatalf("REST door: not an error answer with retryable: %d %s", resp.StatusCode, body)
	}
	if resp.StatusCode != e.Error.Code.Spec().HTTPStatus {
		t.Errorf("REST status %d for %s, want %d", resp.StatusCode, e.Error.Code, e.Error.Code.Spec().HTTPStatus)
	}
	a := doorAnswer{Code: e.Error.Code, Retryable: *e.Error.Retryable}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		a.RetryAfter, _ = strconv.Atoi(ra)
	}
	return a
}

// cliFailure matches the closing "(code; retryable after Ns)" of call's stderr.
var cliFailure = regexp.MustCompile(`\(([a-z_]+)(; retryable(?: after (\d+)s)?)?\)\n$`)

// cliAnswer runs 'planbridge call' in-process against the emulator.
func (s *stack) cliAnswer(t *testing.T, action, input, token string) doorAnswer {
	t.Helper()
	env := map[string]string{"PLANHAT_TOKEN": token, "PLANHAT_API_URL": s.planhat.URL, "PLANHAT_ANALYTICS_URL": s.planhat.AnalyticsURL}
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), []string{"call", action, "--input", input}, strings.NewReader(""), &stdout, &stderr,
		func(k string) string { return env[k] })
	m := cliFailure.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("call: exit %d, stderr does not end in (code…): %q", code, stderr.String())
	}
	a := doorAnswer{Code: actions.Code(m[1]), Retryable: m[2] != ""}
	a.RetryAfter, _ = strconv.Atoi(m[3])
	if code != a.Code.Spec().Exit {
		t.Errorf("call exited %d for %s, want %d", code, a.Code, a.Code.Spec().Exit)
	}
	return a
}
