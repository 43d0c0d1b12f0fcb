package cli

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// emulatePlanhatCmd runs planhatemu standalone: both Planhat hosts on one
// listener, for demos, manual testing and benchmarks of the client.
type emulatePlanhatCmd struct {
	Addr     string        `default:"127.0.0.1:9100" help:"Address to listen on (host:port; port 0 picks a free one)."`
	Token    []string      `help:"API token(s) to accept (repeatable); one is generated when none is given."`
	Tenant   string        `help:"Tenant token for the open and analytics endpoints: 8-4-4-4-12 letters and digits, a UUID or the sample of Planhat's docs (199627f7-0d65-52cd-89b9-45b5ff561bem); generated when empty."`
	Rate     string        `default:"200/60s" help:"Main-host quota as N/period (e.g. 200/60s, 1000/1m); 0 disables rate limiting."`
	Seed     int           `help:"Fill the emulator with N deterministic companies, each with end users, conversations and assets."`
	Region   string        `help:"Region this emulator plays (\"\", eu, eu2, us2...); only matters for region-bound tokens."`
	Switch   []string      `help:"Turn on an unverified behaviour or quirk (repeatable), e.g. --switch retry-after. See the planhatemu package doc."`
	Shutdown time.Duration `default:"5s" help:"How long to wait for requests in flight when stopping."`
}

// parseRate reads "N/period" (or "0").
func parseRate(s string) (int, time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "" {
		return 0, 0, nil
	}
	ns, ps, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 0 {
		return 0, 0, fmt.Errorf("invalid --rate %q: write N/period, e.g. 200/60s", s)
	}
	per, err := time.ParseDuration(ps)
	if err != nil || per <= 0 {
		return 0, 0, fmt.Errorf("invalid --rate %q: the period must be a positive duration such as 60s or 1m", s)
	}
	return n, per, nil
}

// tenantPattern is the shape of a Planhat tenant token: a UUID's 8-4-4-4-12
// groups, of letters and digits rather than hex only, because the sample
// tenant of Planhat's own API docs (199627f7-0d65-52cd-89b9-45b5ff561bem)
// is not hex and people paste it. A truncated or unexpanded value still fails.
var tenantPattern = regexp.MustCompile(`^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$`)

// checkIdentity refuses tokens and tenants a client could not send, so a typo (or an unset
// shell variable) fails at start-up instead of as 401s later.
func (c *emulatePlanhatCmd) checkIdentity() error {
	for _, tok := range c.Token {
		if tok == "" || strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return errors.New("invalid --token: a token must be non-empty and free of spaces and control characters; pass it exactly, or leave --token out to have one generated")
		}
	}
	if c.Tenant != "" && !tenantPattern.MatchString(c.Tenant) {
		return fmt.Errorf("invalid --tenant %q: give a tenant token as Planhat shows it, 8-4-4-4-12 letters and digits such as 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f, or leave --tenant out to have one generated", c.Tenant)
	}
	if c.Seed < 0 {
		return fmt.Errorf("invalid --seed %d: give the number of companies to create (0 for none)", c.Seed)
	}
	return nil
}

func (c *emulatePlanhatCmd) Run(env *Env) error {
	if err := c.checkIdentity(); err != nil {
		return err
	}
	n, per, err := parseRate(c.Rate)
	if err != nil {
		return err
	}
	var sw planhatemu.Switches
	for _, name := range c.Switch {
		if err := sw.Set(name); err != nil {
			return fmt.Errorf("invalid --switch: %w", err)
		}
	}
	opts := []planhatemu.Option{planhatemu.WithRateLimit(n, per), planhatemu.WithSwitches(sw), planhatemu.WithRegion(c.Region)}
	if len(c.Token) > 0 {
		opts = append(opts, planhatemu.WithToken(c.Token...))
	}
	if c.Tenant != "" {
		opts = append(opts, planhatemu.WithTenant(c.Tenant))
	}
	if c.Seed > 0 {
		opts = append(opts, planhatemu.WithSeed(c.Seed))
	}
	opts = append(opts, planhatemu.WithLogger(env.Logger))
	srv := planhatemu.New(opts...)

	ln, err := listenTCP(c.Addr, "--addr")
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	rate := "off"
	if n > 0 {
		rate = fmt.Sprintf("%d requests per %s", n, per)
	}
	fmt.Fprintf(env.Stdout, `Planhat emulator listening
  API URL:        %[1]s
  Analytics URL:  %[1]s
  Token:          %[2]s
  Tenant:         %[3]s
  Rate limit:     %[4]s
  Seeded:         %[5]d companies
Try:
  curl -H 'Authorization: Bearer %[2]s' '%[1]s/companies?limit=5'
  curl -X POST -H 'Content-Type: application/json' -d '{"email":"a@b.example","action":"Logged in"}' '%[1]s/analytics/%[3]s'
  curl '%[1]s/_emulator/stats'
`, url, srv.Token, srv.Tenant, rate, c.Seed)

	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	// Connections still open after --shutdown are closed: a normal stop.
	if err := serveUntilDone(env.Ctx, hs, ln, c.Shutdown, nil); err != nil && !errors.Is(err, errShutdownIncomplete) {
		return fmt.Errorf("planhat emulator stopped: %w", err)
	}
	fmt.Fprintln(env.Stdout, "Planhat emulator stopped")
	return nil
}

// faultsHelp documents the fault control API both emulators share.
const faultsHelp = `Faults, to rehearse outages from any language:

  POST /_emulator/faults   add a rule (JSON, Content-Type: application/json), e.g.
                           {"status":429,"count":10,"retryAfter":"5s","paths":["/companies"]}
  GET /_emulator/faults    list the active rules (with "remaining" and "hits")
  DELETE /_emulator/faults clear them (DELETE /_emulator/faults/{id}: one)

A rule has one of "status" (400-599; "retryAfter" adds Retry-After), "drop": true
(close the connection unanswered), "redirect": URL ("redirectStatus" 301/302/303/307/308,
default 302), or only "latency" (e.g. "2s", at most 10m; it may also go with the others).
"count" limits it to that many requests (default: until cleared); "paths" to requests at
or under those paths (default: all). Rules are tried in the order added; the first that
matches a request applies. Bad JSON, unknown fields or impossible values get 400.`

// Help is the detailed help of `planbridge emulate planhat --help`.
func (c *emulatePlanhatCmd) Help() string {
	return `Serves both Planhat hosts on one listener, plus the control API:

  GET /_emulator/stats     request accounting by route, method and status
  POST /_emulator/reset    empty the data (re-seeded), statistics and faults

` + faultsHelp + `

Faults apply to the main and the analytics routes alike.`
}
