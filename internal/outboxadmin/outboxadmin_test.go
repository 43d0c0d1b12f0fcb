package outboxadmin_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/internal/outboxadmin"
	"github.com/planbridge/planbridge/store"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "", want: time.Time{}},
		{in: "2025-05-31T10:00:00Z", want: time.Date(2025, 5, 31, 10, 0, 0, 0, time.UTC)},
		{in: "2025-05-31T10:00:00.5+02:00", want: time.Date(2025, 5, 31, 8, 0, 0, 5e8, time.UTC)},
		{in: "90s", want: now.Add(-90 * time.Second)},
		{in: " 1h30m ", want: now.Add(-90 * time.Minute)},
		{in: "3d", want: now.Add(-72 * time.Hour)},
		{in: "0s", want: now},
		{in: "-1h", wantErr: "negative"},
		{in: "-2d", wantErr: "negative"},
		{in: "yesterday", wantErr: "neither an RFC 3339 time"},
		{in: "1.5d", wantErr: "neither"},
		{in: "2025-05-31", wantErr: "neither"},
		{in: "99999999999999d", wantErr: "neither"},
	}
	for _, tc := range tests {
		got, err := outboxadmin.ParseTime("before", tc.in, now)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "before: ") {
				t.Errorf("ParseTime(%q) error = %v, want one starting with before: and containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      []string
		want    []store.State
		wantErr bool
	}{
		{in: nil, want: nil},
		{in: []string{"dead"}, want: []store.State{store.StateDead}},
		{in: []string{"dead, Discarded", "dead", ",", "running"}, want: []store.State{store.StateDead, store.StateDiscarded, store.StateRunning}},
		{in: []string{"done"}, wantErr: true},
	}
	for _, tc := range tests {
		got, err := outboxadmin.ParseStates(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseStates(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseStates(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestFilterSpecIsZero(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec outboxadmin.FilterSpec
		want bool
	}{
		{outboxadmin.FilterSpec{}, true},
		{outboxadmin.FilterSpec{States: []string{"", " , "}, Before: " "}, true},
		{outboxadmin.FilterSpec{States: []string{"dead"}}, false},
		{outboxadmin.FilterSpec{Kind: "k"}, false},
		{outboxadmin.FilterSpec{Dest: "d"}, false},
		{outboxadmin.FilterSpec{Key: "k"}, false},
		{outboxadmin.FilterSpec{Before: "1h"}, false},
		{outboxadmin.FilterSpec{After: "1h"}, false},
	}
	for _, tc := range tests {
		if got := tc.spec.IsZero(); got != tc.want {
			t.Errorf("%+v.IsZero() = %v, want %v", tc.spec, got, tc.want)
		}
	}
}

// TestNewItemPayload checks the payload is embedded when it is JSON and
// base64 otherwise, so a JSON string payload is never mistaken for base64.
func TestNewItemPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		payload []byte
		want    string
	}{
		{[]byte(`{"a":1}`), `"payload":{"a":1}`},
		{[]byte(`"aGk="`), `"payload":"aGk="`},
		{[]byte("hi"), `"payloadBase64":"aGk="`},
		{[]byte(`{"a":`), `"payloadBase64":"eyJhIjo="`},
		{nil, `"id":1,`},
	}
	for _, tc := range tests {
		b, err := json.Marshal(outboxadmin.NewItem(store.Item{ID: 1, Payload: tc.payload}))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("payload %q shown as %s, want it to contain %s", tc.payload, b, tc.want)
		}
		if tc.payload == nil && strings.Contains(string(b), "payload") {
			t.Errorf("empty payload shown: %s", b)
		}
	}
}

func TestNewStats(t *testing.T) {
	t.Parallel()
	got := outboxadmin.NewStats(store.Stats{
		ByState:       map[store.State]int{store.StateAvailable: 2, store.StateRunning: 1, store.StateDead: 4, "paused": 1},
		OldestPending: now.Add(-time.Minute),
		Groups:        []store.GroupStats{{Dest: "d", Kind: "k", Available: 2, OldestPending: now.Add(time.Second)}},
	}, now)
	want := outboxadmin.Stats{
		ByState:     map[store.State]int{"available": 2, "running": 1, "completed": 0, "dead": 4, "discarded": 0, "paused": 1},
		Backlog:     3,
		DeadLetters: 4, OldestPending: now.Add(-time.Minute), OldestPendingSeconds: 60,
		// A clock a little ahead on another replica is not a negative age.
		Groups: []outboxadmin.GroupStats{{Dest: "d", Kind: "k", Available: 2, OldestPending: now.Add(time.Second)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewStats (-want +got):\n%s", diff)
	}
}
