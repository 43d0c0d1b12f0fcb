package cli

import (
	"fmt"
	"io"
	"strings"
)

// listActionsHint ends messages about action names, so the shell user
// learns where the list is.
const listActionsHint = "Run 'planbridge actions' to list them."

// ignoredPlanhatSettings names the Planhat settings that are set but have
// no effect because no PLANHAT_TOKEN is, so sandbox mode replaces them.
func ignoredPlanhatSettings(f *planhatFlags, getenv func(string) string) []string {
	if !f.sandboxWanted(getenv) {
		return nil
	}
	var names []string
	for _, s := range []struct{ value, name string }{
		{f.PlanhatRegion, "PLANHAT_REGION (--planhat-region)"},
		{f.PlanhatAPIURL, "PLANHAT_API_URL (--planhat-api-url)"},
		{f.PlanhatAnalyticsURL, "PLANHAT_ANALYTICS_URL (--planhat-analytics-url)"},
		{f.PlanhatTenant, "PLANHAT_TENANT (--planhat-tenant)"},
	} {
		if strings.TrimSpace(s.value) != "" {
			names = append(names, s.name)
		}
	}
	return names
}

// warnIgnoredPlanhat says on w which Planhat settings sandbox mode is
// about to ignore: without it a user who set PLANHAT_API_URL and forgot the
// token would see demo data and think it was theirs.
func warnIgnoredPlanhat(w io.Writer, f *planhatFlags, getenv func(string) string) {
	if names := ignoredPlanhatSettings(f, getenv); len(names) > 0 {
		fmt.Fprintf(w, "planbridge: warning: %s set without PLANHAT_TOKEN, so ignored: this runs in sandbox mode against the built-in emulator. Set PLANHAT_TOKEN to use that Planhat.\n", strings.Join(names, ", "))
	}
}
