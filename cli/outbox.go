package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/planbridge/planbridge/internal/outboxadmin"
	"github.com/planbridge/planbridge/store"
)

// outboxCmd groups the operator's commands on the outbox; they work on the
// database directly, so they need no running server.
type outboxCmd struct {
	Stats   outboxStatsCmd   `cmd:"" help:"Count the outbox's items by state, and the pending ones by destination and kind."`
	List    outboxListCmd    `cmd:"" help:"List outbox items (filters: --state, --kind, --dest, --key, --before, --after); --json for scripts."`
	Retry   outboxRetryCmd   `cmd:"" help:"Make items available again with fresh attempts (dead letters, discarded or waiting items), by id or filter."`
	Discard outboxDiscardCmd `cmd:"" help:"Give up on waiting or dead items, by id or filter: they are never delivered."`
}

// maxListLimit caps outbox list --limit; page on with --after-id.
const maxListLimit = 10000

// outboxFilterFlags select items the same way for list, retry and discard.
type outboxFilterFlags struct {
	State  []string `name:"state" placeholder:"STATE" help:"Only items in these states (available, running, completed, dead, discarded): repeat the flag or give a comma list."`
	Kind   string   `name:"kind" placeholder:"KIND" help:"Only items of this kind, e.g. planhat.conversation."`
	Dest   string   `name:"dest" placeholder:"DEST" help:"Only items for this destination (its fingerprint, as stats shows)."`
	Key    string   `name:"key" placeholder:"KEY" help:"Only items with this ordering key (a conversation or chat id)."`
	Before string   `name:"before" placeholder:"TIME|AGE" help:"Only items created before this time: RFC 3339 (2025-06-01T12:00:00Z) or an age (90m, 2h, 3d) meaning older than that."`
	After  string   `name:"after" placeholder:"TIME|AGE" help:"Only items created after this time: RFC 3339 or an age (1h: newer than an hour)."`
}

func (f outboxFilterFlags) spec() outboxadmin.FilterSpec {
	return outboxadmin.FilterSpec{States: f.State, Kind: f.Kind, Dest: f.Dest, Key: f.Key, Before: f.Before, After: f.After}
}

// filter turns the flags into a store filter, or prints what is wrong.
func (f outboxFilterFlags) filter(env *Env, now time.Time) (store.Filter, error) {
	sf, err := f.spec().Filter(now)
	if err != nil {
		if fe, ok := errors.AsType[*outboxadmin.FieldError](err); ok {
			fmt.Fprintf(env.Stderr, "planbridge: --%s: %s\n", fe.Field, fe.Msg)
		} else {
			fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
		}
		return store.Filter{}, exitError{code: exitUsage}
	}
	return sf, nil
}

// storeFailed reports a failed store call after the database opened:
// worth a retry, since the usual cause is a busy or unreachable database.
func storeFailed(env *Env, doing string, err error) error {
	fmt.Fprintf(env.Stderr, "planbridge: %s failed: %v; retry, and check the database if it persists\n", doing, err)
	return exitError{code: exitUpstream}
}

// outboxExitHelp ends the outbox commands' help.
const outboxExitHelp = "Exit status: 0 success; 2 usage (flags, arguments, --db malformed); 3 the database failed or could not be reached: retry; 4 the database is missing or refused the connection: fix --db (PLANBRIDGE_DB)."

// outboxStatsCmd prints the outbox summary.
type outboxStatsCmd struct {
	dbFlags `embed:""`

	JSON bool `name:"json" help:"Print the summary as JSON (byState, backlog, deadLetters, oldestPending, oldestPendingSeconds, groups)."`
}

// Help is the detail of outbox stats --help.
func (c *outboxStatsCmd) Help() string {
	return "Counts the items of the outbox in --db (PLANBRIDGE_DB) by state, then, per destination and kind, the items waiting (available), being delivered (running) and dead, with the age of the oldest pending one. " +
		"The same summary is GET /v1/admin/outbox on a running server.\n\n" + outboxExitHelp
}

// Run prints the summary.
func (c *outboxStatsCmd) Run(env *Env) error {
	st, err := openExistingStore(env.Ctx, c.DB, env.Logger)
	if err != nil {
		return reportDB(env, err)
	}
	defer st.Close()
	s, err := st.Stats(env.Ctx)
	if err != nil {
		return storeFailed(env, "reading the outbox statistics", err)
	}
	now := time.Now()
	view := outboxadmin.NewStats(s, now)
	if c.JSON {
		return writeIndentedJSON(env.Stdout, view)
	}
	return writeStats(env.Stdout, view, now)
}

// writeStats prints the summary as two tables.
func writeStats(w io.Writer, s outboxadmin.Stats, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tITEMS")
	for _, state := range store.States() {
		fmt.Fprintf(tw, "%s\t%d\n", state, s.ByState[state])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if s.OldestPending.IsZero() {
		fmt.Fprintln(w, "\nNothing pending.")
	} else {
		fmt.Fprintf(w, "\nOldest pending item: created %s ago (%s).\n", formatAge(outboxadmin.Age(s.OldestPending, now)), s.OldestPending.UTC().Format(time.RFC3339))
	}
	if len(s.Groups) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEST\tKIND\tAVAILABLE\tRUNNING\tDEAD\tOLDEST PENDING")
	for _, g := range s.Groups {
		oldest := "-"
		if !g.OldestPending.IsZero() {
			oldest = formatAge(outboxadmin.Age(g.OldestPending, now))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", cell(g.Dest, 40), cell(g.Kind, 40), g.Available, g.Running, g.Dead, oldest)
	}
	return tw.Flush()
}

// formatAge rounds an age to what a person reads at a glance.
func formatAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// outboxListCmd prints items.
type outboxListCmd struct {
	dbFlags           `embed:""`
	outboxFilterFlags `embed:""`

	Limit   int   `name:"limit" default:"100" help:"Print at most this many items (1 to 10000)."`
	AfterID int64 `name:"after-id" placeholder:"ID" help:"Only items with a larger id: the next page after the last id printed."`
	JSON    bool  `name:"json" help:"Print a JSON array of whole items (payload embedded as JSON when it is JSON, else as payloadBase64)."`
}

// Help is the detail of outbox list --help.
func (c *outboxListCmd) Help() string {
	return "Lists the outbox items in --db (PLANBRIDGE_DB) that match every filter given, by id: id, kind, key, state, attempts of the maximum, when the next attempt runs and the last error (its first line). " +
		"When --limit items are printed, stderr says how to get the next page (--after-id). " +
		"The same list is GET /v1/admin/outbox/items on a running server.\n\n" + outboxExitHelp
}

// Run prints the page.
func (c *outboxListCmd) Run(env *Env) error {
	if c.Limit < 1 || c.Limit > maxListLimit {
		fmt.Fprintf(env.Stderr, "planbridge: --limit must be from 1 to %d, not %d; page on with --after-id\n", maxListLimit, c.Limit)
		return exitError{code: exitUsage}
	}
	if c.AfterID < 0 {
		fmt.Fprintf(env.Stderr, "planbridge: --after-id must be an item id (0 or more), not %d\n", c.AfterID)
		return exitError{code: exitUsage}
	}
	f, err := c.filter(env, time.Now())
	if err != nil {
		return err
	}
	f.Limit, f.AfterID = c.Limit, c.AfterID
	st, err := openExistingStore(env.Ctx, c.DB, env.Logger)
	if err != nil {
		return reportDB(env, err)
	}
	defer st.Close()
	items, err := st.List(env.Ctx, f)
	if err != nil {
		return storeFailed(env, "listing the outbox", err)
	}
	if c.JSON {
		err = writeIndentedJSON(env.Stdout, outboxadmin.NewItems(items))
	} else {
		err = writeItems(env.Stdout, items)
	}
	if err != nil {
		return err
	}
	if len(items) == c.Limit {
		fmt.Fprintf(env.Stderr, "planbridge: printed the first %d matching items; for the next ones add --after-id %d\n", len(items), items[len(items)-1].ID)
	}
	return nil
}

// writeItems prints items as a table, one line each.
func writeItems(w io.Writer, items []store.Item) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tKEY\tSTATE\tATTEMPTS\tRUN AT\tLAST ERROR")
	for _, it := range items {
		key := cell(it.Key, 40)
		if key == "" {
			key = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", it.ID, cell(it.Kind, 40), key, it.State,
			it.Attempts, it.MaxAttempts, it.RunAt.UTC().Format(time.RFC3339), firstLine(it.LastError, 100))
	}
	return tw.Flush()
}

// cell makes a value safe for one table cell: control characters (tabs,
// newlines, terminal escapes) become spaces, and it is cut at n runes.
func cell(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return truncateRunes(s, n)
}

// firstLine cuts an error to its first non-blank line, at most n runes.
func firstLine(s string, n int) string {
	s = strings.TrimSpace(s)
	line, _, more := strings.Cut(s, "\n")
	line = cell(strings.TrimSpace(line), n)
	if more && !strings.HasSuffix(line, "…") {
		line += " …"
	}
	return line
}

// outboxChangeFlags select the items retry and discard change.
type outboxChangeFlags struct {
	dbFlags           `embed:""`
	outboxFilterFlags `embed:""`

	IDs []int64 `arg:"" optional:"" name:"id" help:"Item ids (as list prints them); combined with filters, only the ids that match them."`
	All bool    `name:"all" help:"Select every item, on purpose: without ids or filters the command refuses to run."`
}

// selection builds the store filter, refusing an accidental "everything".
func (c *outboxChangeFlags) selection(env *Env, verb string, now time.Time) (store.Filter, error) {
	hasFilter := !c.spec().IsZero()
	switch {
	case c.All && (len(c.IDs) > 0 || hasFilter):
		fmt.Fprintf(env.Stderr, "planbridge: --all selects every item, so it cannot be combined with ids or filters; drop --all, or drop the ids and filters\n")
		return store.Filter{}, exitError{code: exitUsage}
	case !c.All && len(c.IDs) == 0 && !hasFilter:
		fmt.Fprintf(env.Stderr, "planbridge: say which items to %s: ids (planbridge outbox %s 12 13), filters (--state dead --kind planhat.conversation --before 1h, …), or --all to %s every item on purpose\n", verb, verb, verb)
		return store.Filter{}, exitError{code: exitUsage}
	}
	for _, id := range c.IDs {
		if id < 1 {
			fmt.Fprintf(env.Stderr, "planbridge: %d is not an item id; ids are whole numbers from 1, as 'planbridge outbox list' prints them\n", id)
			return store.Filter{}, exitError{code: exitUsage}
		}
	}
	f, err := c.filter(env, now)
	if err != nil {
		return store.Filter{}, err
	}
	f.IDs = c.IDs
	return f, nil
}

// report prints how many items changed, and for ids that did not all
// change, why some may not have.
func (c *outboxChangeFlags) report(w io.Writer, n int, done, untouched string) error {
	msg := fmt.Sprintf("%s %s.", done, plural(n, "item", "items"))
	if len(c.IDs) > 0 && n < len(c.IDs) {
		msg = fmt.Sprintf("%s %s of the %d ids given; the others %s.", done, strconv.Itoa(n), len(c.IDs), untouched)
	}
	_, err := fmt.Fprintln(w, msg)
	return err
}

// outboxRetryCmd makes items available again.
type outboxRetryCmd struct {
	outboxChangeFlags `embed:""`
}

// Help is the detail of outbox retry --help.
func (c *outboxRetryCmd) Help() string {
	return "Makes the selected dead, discarded and available items available now with fresh attempts, so the running server delivers them again; running and completed items are left alone. " +
		"Select by ids, by filters (every filter must match; with ids too, only the ids that match), or everything with --all. " +
		"Without --state, waiting (available) items of the selection also get their attempts back. " +
		"The same is POST /v1/admin/outbox/retry on a running server.\n\n" + outboxExitHelp
}

// Run retries the selection and prints how many items changed.
func (c *outboxRetryCmd) Run(env *Env) error {
	return c.change(env, "retry", "retrying items", "Retried", "are running, completed or not in the outbox", store.Store.Retry)
}

// change applies op (Store.Retry or Store.Discard) to the selection and
// reports how many items changed.
func (c *outboxChangeFlags) change(env *Env, verb, doing, done, untouched string, op func(store.Store, context.Context, store.Filter, time.Time) (int, error)) error {
	now := time.Now()
	f, err := c.selection(env, verb, now)
	if err != nil {
		return err
	}
	st, err := openExistingStore(env.Ctx, c.DB, env.Logger)
	if err != nil {
		return reportDB(env, err)
	}
	defer st.Close()
	n, err := op(st, env.Ctx, f, now)
	if err != nil {
		return storeFailed(env, doing, err)
	}
	return c.report(env.Stdout, n, done, untouched)
}

// outboxDiscardCmd gives up on items.
type outboxDiscardCmd struct {
	outboxChangeFlags `embed:""`
}

// Help is the detail of outbox discard --help.
func (c *outboxDiscardCmd) Help() string {
	return "Marks the selected available and dead items discarded: they are never delivered (and are pruned with completed items later). Running and completed items are left alone. " +
		"Select by ids, by filters (every filter must match; with ids too, only the ids that match), or everything with --all. " +
		"'planbridge outbox retry' brings discarded items back while they are kept. " +
		"The same is POST /v1/admin/outbox/discard on a running server.\n\n" + outboxExitHelp
}

// Run discards the selection and prints how many items changed.
func (c *outboxDiscardCmd) Run(env *Env) error {
	return c.change(env, "discard", "discarding items", "Discarded", "are running, completed, already discarded or not in the outbox", store.Store.Discard)
}

// writeIndentedJSON prints v indented, for scripts.
func writeIndentedJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the output: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
