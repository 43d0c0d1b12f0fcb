// Package outboxadmin is what the outbox's two operator surfaces share:
// the command line (planbridge outbox …) and the admin HTTP API
// (/v1/admin/outbox). Both read filters the same way and print items and
// statistics in the same JSON, so a script can move from one to the other.
package outboxadmin

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/planbridge/planbridge/store"
)

// FieldError is a filter value that cannot be used; Field is the filter's
// name ("state", "before", …), which each surface dresses as its own
// spelling (--state, ?state=, "states").
type FieldError struct {
	Field string
	// Msg says what is wrong and what to write instead.
	Msg string
}

// Error returns the field and the message.
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// stateNames lists the valid states for messages.
func stateNames() string {
	var names []string
	for _, s := range store.States() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

// ParseStates reads state names, each of which may be a comma-separated
// list, into states without duplicates, in the order given.
func ParseStates(values []string) ([]store.State, error) {
	var out []store.State
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.ToLower(strings.TrimSpace(part))
			if part == "" {
				continue
			}
			s := store.State(part)
			if !s.Valid() {
				return nil, &FieldError{Field: "state", Msg: fmt.Sprintf("%q is not a state; use one or more of %s", part, stateNames())}
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// ParseTime reads a time bound: an RFC 3339 time, or an age such as 90s,
// 45m, 1h30m or 2d, meaning that long before now (so --before 1h selects
// items older than an hour). field names the bound in errors.
func ParseTime(field, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	age, err := parseAge(s)
	if err != nil {
		return time.Time{}, &FieldError{Field: field, Msg: fmt.Sprintf("%q is neither an RFC 3339 time (2006-01-02T15:04:05Z) nor an age (90s, 45m, 1h30m, 2d)", s)}
	}
	if age < 0 {
		return time.Time{}, &FieldError{Field: field, Msg: fmt.Sprintf("the age %q is negative; ages count back from now, e.g. 1h", s)}
	}
	return now.Add(-age), nil
}

// parseAge is time.ParseDuration plus whole days ("2d"), the unit
// operators think of old dead letters in.
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > math.MaxInt64/int(24*time.Hour) {
			return 0, fmt.Errorf("bad day count %q", days)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// FilterSpec is a selection as people write it: on the command line, in a
// query string or in a JSON body. Zero fields match anything.
type FilterSpec struct {
	// States may hold comma-separated lists.
	States []string `json:"states,omitempty"`
	Kind   string   `json:"kind,omitempty"`
	Dest   string   `json:"dest,omitempty"`
	Key    string   `json:"key,omitempty"`
	// Before and After bound the creation time: RFC 3339, or an age (1h).
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// IsZero reports whether the spec selects every item, which retry and
// discard refuse unless asked for everything explicitly.
func (f FilterSpec) IsZero() bool {
	for _, s := range f.States {
		if strings.Trim(s, " ,") != "" {
			return false
		}
	}
	return f.Kind == "" && f.Dest == "" && f.Key == "" && strings.TrimSpace(f.Before) == "" && strings.TrimSpace(f.After) == ""
}

// Filter turns the spec into a store filter, with ages counted back from now.
func (f FilterSpec) Filter(now time.Time) (store.Filter, error) {
	states, err := ParseStates(f.States)
	if err != nil {
		return store.Filter{}, err
	}
	before, err := ParseTime("before", f.Before, now)
	if err != nil {
		return store.Filter{}, err
	}
	after, err := ParseTime("after", f.After, now)
	if err != nil {
		return store.Filter{}, err
	}
	if !before.IsZero() && !after.IsZero() && !after.Before(before) {
		return store.Filter{}, &FieldError{Field: "after", Msg: fmt.Sprintf("after (%s) is not earlier than before (%s), so nothing can match; swap them", after.UTC().Format(time.RFC3339), before.UTC().Format(time.RFC3339))}
	}
	return store.Filter{States: states, Kind: f.Kind, Dest: f.Dest, Key: f.Key, Before: before, After: after}, nil
}

// Item is an outbox item as the admin surfaces show it: the payload is
// embedded as JSON when it is JSON (what deliverers store), else given as
// base64 in PayloadBase64, so the two can never be mistaken for each other.
type Item struct {
	ID            int64           `json:"id"`
	Kind          string          `json:"kind"`
	Dest          string          `json:"dest"`
	Key           string          `json:"key,omitempty"`
	Coalesce      string          `json:"coalesce,omitempty"`
	State         store.State     `json:"state"`
	Attempts      int             `json:"attempts"`
	MaxAttempts   int             `json:"maxAttempts"`
	Alone         bool            `json:"alone,omitempty"`
	RunAt         time.Time       `json:"runAt"`
	CreatedAt     time.Time       `json:"createdAt"`
	UpdatedAt     time.Time       `json:"updatedAt"`
	LockedBy      string          `json:"lockedBy,omitempty"`
	LockedUntil   time.Time       `json:"lockedUntil,omitzero"`
	LastError     string          `json:"lastError,omitempty"`
	FinishedAt    time.Time       `json:"finishedAt,omitzero"`
	Payload       json.RawMessage `json:"payload,omitempty"`
	PayloadBase64 []byte          `json:"payloadBase64,omitempty"`
}

// NewItem shows a stored item.
func NewItem(it store.Item) Item {
	out := Item{
		ID: it.ID, Kind: it.Kind, Dest: it.Dest, Key: it.Key, Coalesce: it.Coalesce, State: it.State,
		Attempts: it.Attempts, MaxAttempts: it.MaxAttempts, Alone: it.Alone,
		RunAt: it.RunAt, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		LockedBy: it.LockedBy, LockedUntil: it.LockedUntil, LastError: it.LastError, FinishedAt: it.FinishedAt,
	}
	if len(it.Payload) > 0 {
		if json.Valid(it.Payload) {
			out.Payload = json.RawMessage(slices.Clone(it.Payload))
		} else {
			out.PayloadBase64 = it.Payload
		}
	}
	return out
}

// NewItems shows a page of items, [] rather than null when empty.
func NewItems(items []store.Item) []Item {
	out := make([]Item, 0, len(items))
	for _, it := range items {
		out = append(out, NewItem(it))
	}
	return out
}

// Stats is the outbox summary as the admin surfaces show it: every state
// counted (zeros included) and ages in seconds next to the times, so
// dashboards and scripts need no clock arithmetic.
type Stats struct {
	ByState map[store.State]int `json:"byState"`
	// Backlog counts available and running items.
	Backlog int `json:"backlog"`
	// DeadLetters counts dead items.
	DeadLetters          int          `json:"deadLetters"`
	OldestPending        time.Time    `json:"oldestPending,omitzero"`
	OldestPendingSeconds float64      `json:"oldestPendingSeconds"`
	Groups               []GroupStats `json:"groups"`
}

// GroupStats is one destination and kind of Stats.
type GroupStats struct {
	Dest                 string    `json:"dest"`
	Kind                 string    `json:"kind"`
	Available            int       `json:"available"`
	Running              int       `json:"running"`
	Dead                 int       `json:"dead"`
	OldestPending        time.Time `json:"oldestPending,omitzero"`
	OldestPendingSeconds float64   `json:"oldestPendingSeconds"`
}

// NewStats shows s as of now.
func NewStats(s store.Stats, now time.Time) Stats {
	out := Stats{ByState: make(map[store.State]int), Groups: make([]GroupStats, 0, len(s.Groups))}
	for _, st := range store.States() {
		out.ByState[st] = s.ByState[st]
	}
	for st, n := range s.ByState {
		// A state this version does not know still counts.
		out.ByState[st] = n
	}
	out.Backlog = out.ByState[store.StateAvailable] + out.ByState[store.StateRunning]
	out.DeadLetters = out.ByState[store.StateDead]
	out.OldestPending = s.OldestPending
	out.OldestPendingSeconds = Age(s.OldestPending, now).Seconds()
	for _, g := range s.Groups {
		out.Groups = append(out.Groups, GroupStats{
			Dest: g.Dest, Kind: g.Kind, Available: g.Available, Running: g.Running, Dead: g.Dead,
			OldestPending: g.OldestPending, OldestPendingSeconds: Age(g.OldestPending, now).Seconds(),
		})
	}
	return out
}

// Age is how long before now t was, 0 for a zero t or one in the future
// (clocks of replicas differ a little).
func Age(t, now time.Time) time.Duration {
	if t.IsZero() || !t.Before(now) {
		return 0
	}
	return now.Sub(t)
}
