package cli_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/internal/outboxadmin"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/pgstore"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// seeded are the ids of the items seedOutbox made.
type seeded struct {
	// conv1 is dead, conv2 available (planhat.conversation, dest d1).
	conv1, conv2 int64
	// act1 is running (dest d1, a binary payload), act2 available (dest d2).
	act1, act2 int64
}

// seedOutbox makes a SQLite database with four items, created 3h, 2h,
// 30m and 1m ago, in every unfinished state plus dead.
func seedOutbox(t *testing.T) (string, seeded) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbridge.db")
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	var ids []int64
	for _, it := range []struct {
		item store.NewItem
		age  time.Duration
	}{
		{store.NewItem{Kind: "planhat.conversation", Dest: "d1", Key: "conv-1", Payload: []byte(`{"conversationId":"conv-1"}`)}, 3 * time.Hour},
		{store.NewItem{Kind: "planhat.conversation", Dest: "d1", Key: "conv-2", Payload: []byte(`{"conversationId":"conv-2"}`)}, 2 * time.Hour},
		{store.NewItem{Kind: "planhat.activity", Dest: "d1", Payload: []byte{0xff, 0x00, 'x'}}, 30 * time.Minute},
		{store.NewItem{Kind: "planhat.activity", Dest: "d2", Payload: []byte(`[{"action":"login"}]`)}, time.Minute},
	} {
		err := st.Write(ctx, func(tx store.Tx) error {
			e, err := tx.Enqueue(ctx, it.item, now.Add(-it.age))
			ids = append(ids, e.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s := seeded{conv1: ids[0], conv2: ids[1], act1: ids[2], act2: ids[3]}
	claim := func(kind, dest string) store.Item {
		t.Helper()
		got, err := st.ClaimItems(ctx, store.Claim{Dest: dest, Kind: kind, Limit: 1, Owner: "test", Now: now, Until: now.Add(time.Hour)})
		if err != nil || len(got) != 1 {
			t.Fatalf("claim %s: %v, %v", kind, got, err)
		}
		return got[0]
	}
	if it := claim("planhat.conversation", "d1"); it.ID != s.conv1 {
		t.Fatalf("claimed %d, want %d", it.ID, s.conv1)
	}
	if n, err := st.Finish(ctx, "test", now, []store.Outcome{{ID: s.conv1, State: store.StateDead, Error: "planhat: 400 Bad Request\n{\"message\":\"no such company\"}"}}); err != nil || n != 1 {
		t.Fatalf("finish: %d, %v", n, err)
	}
	if it := claim("planhat.activity", "d1"); it.ID != s.act1 {
		t.Fatalf("claimed %d, want %d", it.ID, s.act1)
	}
	return path, s
}

// runOK runs a command that must succeed and returns its stdout.
func runOK(t *testing.T, env map[string]string, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := runUntilExit(t, env, "", args...)
	if code != 0 {
		t.Fatalf("planbridge %s = exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout, stderr
}

// rows splits a table into its lines' fields, header left out.
func rows(table string) [][]string {
	var out [][]string
	for i, line := range strings.Split(strings.TrimSpace(table), "\n") {
		if i > 0 {
			out = append(out, strings.Fields(line))
		}
	}
	return out
}

// listedIDs returns the ids of a list table.
func listedIDs(table string) []string {
	var ids []string
	for _, r := range rows(table) {
		ids = append(ids, r[0])
	}
	return ids
}

func ids(v ...int64) []string {
	var out []string
	for _, id := range v {
		out = append(out, fmt.Sprint(id))
	}
	return out
}

// TestMigrate checks migrate applies the schema once, then says it is
// current.
func TestMigrate(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PLANBRIDGE_DB": filepath.Join(t.TempDir(), "new.db")}
	out, _ := runOK(t, env, "migrate")
	if !strings.Contains(out, "applied ") || !strings.Contains(out, "is now current") {
		t.Errorf("first migrate printed:\n%s\nwant the migrations applied", out)
	}
	out, _ = runOK(t, env, "migrate")
	if !strings.Contains(out, "is current; nothing to apply") {
		t.Errorf("second migrate printed:\n%s\nwant that the schema is current", out)
	}
}

// TestOutboxStats checks the summary table and its JSON.
func TestOutboxStats(t *testing.T) {
	t.Parallel()
	path, _ := seedOutbox(t)
	out, _ := runOK(t, nil, "outbox", "stats", "--db", path)
	states, rest, _ := strings.Cut(out, "\n\n")
	want := [][]string{{"available", "2"}, {"running", "1"}, {"completed", "0"}, {"dead", "1"}, {"discarded", "0"}}
	if diff := cmp.Diff(want, rows(states)); diff != "" {
		t.Errorf("state table (-want +got):\n%s\nin:\n%s", diff, out)
	}
	if !strings.Contains(rest, "Oldest pending item: created 2h0m0s ago") {
		t.Errorf("stats lacks the oldest pending item's age:\n%s", out)
	}
	_, groups, _ := strings.Cut(rest, "\n\n")
	var got [][]string
	for _, r := range rows(groups) {
		got = append(got, r[:5])
	}
	want = [][]string{{"d1", "planhat.activity", "0", "1", "0"}, {"d1", "planhat.conversation", "1", "0", "1"}, {"d2", "planhat.activity", "1", "0", "0"}}
	if diff := cmp.Diff(want, got, cmpSortRows); diff != "" {
		t.Errorf("group table (-want +got):\n%s\nin:\n%s", diff, out)
	}

	out, _ = runOK(t, map[string]string{"PLANBRIDGE_DB": path}, "outbox", "stats", "--json")
	var s outboxadmin.Stats
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stats --json is not the statistics: %v\n%s", err, out)
	}
	wantStates := map[store.State]int{"available": 2, "running": 1, "completed": 0, "dead": 1, "discarded": 0}
	if diff := cmp.Diff(wantStates, s.ByState); diff != "" || s.Backlog != 3 || s.DeadLetters != 1 || len(s.Groups) != 3 || s.OldestPendingSeconds < 7200 {
		t.Errorf("stats --json = %+v (byState diff %s), want backlog 3, 1 dead letter, 3 groups, oldest ≥ 2h", s, diff)
	}
}

// cmpSortRows compares tables whatever the order of their rows.
var cmpSortRows = cmp.Transformer("sortRows", func(in [][]string) []string {
	var out []string
	for _, r := range in {
		out = append(out, strings.Join(r, " "))
	}
	slices.Sort(out)
	return out
})

// TestOutboxList checks every filter of list and its table and JSON.
func TestOutboxList(t *testing.T) {
	t.Parallel()
	path, s := seedOutbox(t)
	env := map[string]string{"PLANBRIDGE_DB": path}
	tests := []struct {
		name       string
		args       []string
		want       []string
		wantStderr string
	}{
		{name: "everything", want: ids(s.conv1, s.conv2, s.act1, s.act2)},
		{name: "states", args: []string{"--state", "dead,running"}, want: ids(s.conv1, s.act1)},
		{name: "states repeated", args: []string{"--state", "dead", "--state", "available"}, want: ids(s.conv1, s.conv2, s.act2)},
		{name: "kind", args: []string{"--kind", "planhat.activity"}, want: ids(s.act1, s.act2)},
		{name: "dest", args: []string{"--dest", "d2"}, want: ids(s.act2)},
		{name: "key", args: []string{"--key", "conv-2"}, want: ids(s.conv2)},
		{name: "older than", args: []string{"--before", "1h"}, want: ids(s.conv1, s.conv2)},
		{name: "newer than", args: []string{"--after", "1h"}, want: ids(s.act1, s.act2)},
		{name: "between", args: []string{"--after", "150m", "--before", "10m"}, want: ids(s.conv2, s.act1)},
		{name: "RFC 3339", args: []string{"--before", time.Now().Add(-90 * time.Minute).UTC().Format(time.RFC3339)}, want: ids(s.conv1, s.conv2)},
		{name: "first page", args: []string{"--limit", "2"}, want: ids(s.conv1, s.conv2), wantStderr: fmt.Sprintf("add --after-id %d", s.conv2)},
		{name: "next page", args: []string{"--limit", "2", "--after-id", fmt.Sprint(s.conv2)}, want: ids(s.act1, s.act2), wantStderr: fmt.Sprintf("add --after-id %d", s.act2)},
		{name: "nothing", args: []string{"--kind", "planhat.nothing"}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, stderr := runOK(t, env, append([]string{"outbox", "list"}, tc.args...)...)
			if !strings.HasPrefix(out, "ID ") || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "LAST ERROR") {
				t.Errorf("no table header:\n%s", out)
			}
			if diff := cmp.Diff(tc.want, listedIDs(out)); diff != "" {
				t.Errorf("ids (-want +got):\n%s\n%s", diff, out)
			}
			if tc.wantStderr == "" && stderr != "" || !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr = %q, want %q", stderr, tc.wantStderr)
			}
		})
	}

	t.Run("table", func(t *testing.T) {
		t.Parallel()
		out, _ := runOK(t, env, "outbox", "list", "--state", "dead")
		r := rows(out)
		if len(r) != 1 {
			t.Fatalf("want one row:\n%s", out)
		}
		want := []string{fmt.Sprint(s.conv1), "planhat.conversation", "conv-1", "dead", "1/25"}
		if diff := cmp.Diff(want, r[0][:5]); diff != "" {
			t.Errorf("row (-want +got):\n%s", diff)
		}
		if line := strings.Split(out, "\n")[1]; !strings.HasSuffix(line, "planhat: 400 Bad Request …") {
			t.Errorf("the last error is not cut to its first line: %q", line)
		}
		if _, err := time.Parse(time.RFC3339, r[0][5]); err != nil {
			t.Errorf("run at %q is not RFC 3339", r[0][5])
		}
	})

	t.Run("json", func(t *testing.T) {
		t.Parallel()
		out, _ := runOK(t, env, "outbox", "list", "--json", "--dest", "d1", "--kind", "planhat.activity")
		var got []map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
			t.Fatalf("list --json = %v\n%s", err, out)
		}
		if got[0]["payloadBase64"] != "/wB4" || got[0]["state"] != "running" || got[0]["lockedBy"] != "test" {
			t.Errorf("list --json item = %v, want the binary payload in payloadBase64, running, locked by test", got[0])
		}
		out, _ = runOK(t, env, "outbox", "list", "--json", "--dest", "d2")
		if !strings.Contains(out, `"payload": [`) {
			t.Errorf("JSON payload not embedded:\n%s", out)
		}
		out, _ = runOK(t, env, "outbox", "list", "--json", "--dest", "nowhere")
		if strings.TrimSpace(out) != "[]" {
			t.Errorf("empty list --json = %q, want []", out)
		}
	})
}

// TestOutboxRetryDiscard checks retry and discard change what they select
// and say how many items changed.
func TestOutboxRetryDiscard(t *testing.T) {
	t.Parallel()
	path, s := seedOutbox(t)
	env := map[string]string{"PLANBRIDGE_DB": path}
	steps := []struct {
		args    []string
		want    string
		wantIDs map[string][]string // state → ids after the step
	}{
		{args: []string{"retry", fmt.Sprint(s.conv1), fmt.Sprint(s.act1)}, want: "Retried 1 of the 2 ids given; the others are running, completed or not in the outbox.",
			wantIDs: map[string][]string{"dead": nil, "available": ids(s.conv1, s.conv2, s.act2), "running": ids(s.act1)}},
		{args: []string{"discard", "--kind", "planhat.activity", "--dest", "d2"}, want: "Discarded 1 item.",
			wantIDs: map[string][]string{"discarded": ids(s.act2), "available": ids(s.conv1, s.conv2)}},
		{args: []string{"discard", "--key", "conv-2", "--state", "dead"}, want: "Discarded 0 items.",
			wantIDs: map[string][]string{"available": ids(s.conv1, s.conv2)}},
		{args: []string{"retry", "--state", "discarded"}, want: "Retried 1 item.",
			wantIDs: map[string][]string{"discarded": nil, "available": ids(s.conv1, s.conv2, s.act2)}},
		{args: []string{"discard", "--all"}, want: "Discarded 3 items.",
			wantIDs: map[string][]string{"discarded": ids(s.conv1, s.conv2, s.act2), "running": ids(s.act1)}},
	}
	for _, st := range steps {
		out, _ := runOK(t, env, append([]string{"outbox"}, st.args...)...)
		if strings.TrimSpace(out) != st.want {
			t.Errorf("outbox %s = %q, want %q", strings.Join(st.args, " "), strings.TrimSpace(out), st.want)
		}
		for state, want := range st.wantIDs {
			list, _ := runOK(t, env, "outbox", "list", "--state", state)
			if diff := cmp.Diff(want, listedIDs(list)); diff != "" {
				t.Errorf("after outbox %s, %s items (-want +got):\n%s", strings.Join(st.args, " "), state, diff)
			}
		}
	}
}

// TestOutboxErrors checks the refusals: exit status, a message saying
// what to do, and no password in any output.
func TestOutboxErrors(t *testing.T) {
	t.Parallel()
	path, _ := seedOutbox(t)
	db := map[string]string{"PLANBRIDGE_DB": path}
	missing := filepath.Join(t.TempDir(), "nothing-here.db")
	pgURL := "postgres://pb:hunter2-secret@" + strings.TrimPrefix(closedAddress(t), "http://") + "/planbridge?connect_timeout=2"
	checkFlagErrors(t, []string{"hunter2-secret"}, []flagErrorCase{
		{name: "retry without a selection", env: db, args: []string{"outbox", "retry"},
			wantCode: 2, wantStderr: []string{"say which items to retry", "--all to retry every item on purpose"}},
		{name: "discard without a selection", env: db, args: []string{"outbox", "discard"},
			wantCode: 2, wantStderr: []string{"say which items to discard", "--all"}},
		{name: "all with ids", env: db, args: []string{"outbox", "discard", "--all", "3"},
			wantCode: 2, wantStderr: []string{"--all selects every item, so it cannot be combined"}},
		{name: "all with a filter", env: db, args: []string{"outbox", "retry", "--all", "--state", "dead"},
			wantCode: 2, wantStderr: []string{"cannot be combined"}},
		{name: "id not a number", env: db, args: []string{"outbox", "retry", "abc"},
			wantCode: 2},
		{name: "id zero", env: db, args: []string{"outbox", "retry", "0"},
			wantCode: 2, wantStderr: []string{"0 is not an item id"}},
		{name: "unknown state", env: db, args: []string{"outbox", "list", "--state", "done"},
			wantCode: 2, wantStderr: []string{`--state: "done" is not a state; use one or more of available, running, completed, dead, discarded`}},
		{name: "bad time", env: db, args: []string{"outbox", "retry", "--before", "last week"},
			wantCode: 2, wantStderr: []string{"--before: ", "RFC 3339", "1h30m"}},
		{name: "limit", env: db, args: []string{"outbox", "list", "--limit", "0"},
			wantCode: 2, wantStderr: []string{"--limit must be from 1 to 10000"}},
		{name: "missing database", args: []string{"outbox", "stats", "--db", missing},
			wantCode: 4, wantStderr: []string{"there is no SQLite database at " + missing, "--db (PLANBRIDGE_DB)"}},
		{name: "other URL", env: map[string]string{"PLANBRIDGE_DB": "mysql://root:hunter2-secret@db/x"}, args: []string{"outbox", "stats"},
			wantCode: 2, wantStderr: []string{"is a mysql:// URL"}},
		{name: "unparseable URL", env: map[string]string{"PLANBRIDGE_DB": "postgres://pb:hunter2-secret%zz@db/x"}, args: []string{"migrate"},
			wantCode: 2, wantStderr: []string{"is not a valid PostgreSQL URL (postgres://xxxxx@db/x)", "percent-encoding"}},
		{name: "keyword string", env: map[string]string{"PLANBRIDGE_DB": "host=db password=hunter2-secret"}, args: []string{"outbox", "list"},
			wantCode: 2, wantStderr: []string{"key=value connection string", "postgres://"}},
		{name: "unreachable PostgreSQL", env: map[string]string{"PLANBRIDGE_DB": pgURL}, args: []string{"outbox", "stats"},
			wantCode: 3, wantStderr: []string{"the PostgreSQL database postgres://pb:xxxxx@", "reachable"}},
		{name: "unreachable PostgreSQL migrate", env: map[string]string{"PLANBRIDGE_DB": pgURL}, args: []string{"migrate"},
			wantCode: 3, wantStderr: []string{"cannot migrate the PostgreSQL database postgres://pb:xxxxx@"}},
		{name: "migrate into a missing directory", args: []string{"migrate", "--db", filepath.Join(missing, "x", "y.db")},
			wantCode: 4, wantStderr: []string{"cannot migrate the SQLite database", "check --db (PLANBRIDGE_DB)"}},
	})
}

// postgresURL is the test server's URL from PLANBRIDGE_TEST_POSTGRES_URL
// (which .ci/run sets), with a fresh schema as the
// search path, dropped at cleanup; the test is skipped without a server.
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PLANBRIDGE_TEST_POSTGRES_URL")
	if base == "" && os.Getenv("CI") != "" {
		t.Fatal("CI is set but PLANBRIDGE_TEST_POSTGRES_URL is not: .ci/run sets it once PostgreSQL runs")
	}
	if base == "" {
		t.Skip("PLANBRIDGE_TEST_POSTGRES_URL is not set: set it to a PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run this test")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "pbclitest_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA IF EXISTS " + pgstore.QuoteIdent(schema) + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	if _, err := db.Exec("CREATE SCHEMA " + pgstore.QuoteIdent(schema)); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestOutboxPostgres checks a postgres:// PLANBRIDGE_DB reaches pgstore:
// migrate applies the schema once, and the outbox commands work on it.
func TestOutboxPostgres(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PLANBRIDGE_DB": postgresURL(t)}
	out, _ := runOK(t, env, "migrate")
	if !strings.Contains(out, "applied ") || !strings.Contains(out, "The PostgreSQL database postgres://") {
		t.Errorf("first migrate printed:\n%s", out)
	}
	out, _ = runOK(t, env, "migrate")
	if !strings.Contains(out, "is current; nothing to apply") {
		t.Errorf("second migrate printed:\n%s", out)
	}
	out, _ = runOK(t, env, "outbox", "stats", "--json")
	if !strings.Contains(out, `"backlog": 0`) {
		t.Errorf("stats --json on an empty outbox:\n%s", out)
	}
	out, _ = runOK(t, env, "outbox", "retry", "--all")
	if strings.TrimSpace(out) != "Retried 0 items." {
		t.Errorf("retry --all on an empty outbox = %q", out)
	}
}
