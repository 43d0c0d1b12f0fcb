package planhatemu

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrUnknownSwitch is returned by Switches.Set for a name SwitchNames does
// not list.
var ErrUnknownSwitch = errors.New("unknown emulator switch")

// boolSwitches maps the kebab-case names used by the standalone command's
// --switch flag to the boolean fields of Switches.
var boolSwitches = map[string]func(*Switches) *bool{
	"reject-over-max-limit":    func(s *Switches) *bool { return &s.RejectOverMaxLimit },
	"delete-by-keyable":        func(s *Switches) *bool { return &s.DeleteByKeyable },
	"delete-missing-ok":        func(s *Switches) *bool { return &s.DeleteMissingOK },
	"delete-returns-object":    func(s *Switches) *bool { return &s.DeleteReturnsObject },
	"string-bulk-errors":       func(s *Switches) *bool { return &s.StringBulkErrors },
	"string-errors":            func(s *Switches) *bool { return &s.StringErrors },
	"list-shape-owners":        func(s *Switches) *bool { return &s.ListShapeOwners },
	"retry-after":              func(s *Switches) *bool { return &s.RetryAfter },
	"bulk-duplicates-fail":     func(s *Switches) *bool { return &s.BulkDuplicatesFail },
	"metrics-require-auth":     func(s *Switches) *bool { return &s.MetricsRequireAuth },
	"touch-updated-at-on-noop": func(s *Switches) *bool { return &s.TouchUpdatedAtOnNoop },
	"replace-custom-on-update": func(s *Switches) *bool { return &s.ReplaceCustomOnUpdate },
	"notes-not-found":          func(s *Switches) *bool { return &s.NotesNotFound },
	"comma-string-lists":       func(s *Switches) *bool { return &s.CommaStringLists },
	"empty-string-booleans":    func(s *Switches) *bool { return &s.EmptyStringBooleans },
	"numbers-for-strings":      func(s *Switches) *bool { return &s.NumbersForStrings },
	"conversation-enduser-ids": func(s *Switches) *bool { return &s.ConversationEnduserIDs },
	"no-rate-limit-headers":    func(s *Switches) *bool { return &s.NoRateLimitHeaders },
}

// SwitchNames lists the boolean switch names Switches.Set accepts.
func SwitchNames() []string { return slices.Sorted(maps.Keys(boolSwitches)) }

// Set turns on the boolean switch called name (kebab-case, e.g.
// "retry-after"); "name=false" turns it off.
func (s *Switches) Set(name string) error {
	name, val, hasVal := strings.Cut(strings.TrimSpace(name), "=")
	field, ok := boolSwitches[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("%w %q: choose one of %s", ErrUnknownSwitch, name, strings.Join(SwitchNames(), ", "))
	}
	on := true
	if hasVal {
		switch strings.ToLower(val) {
		case "true", "1", "on", "yes":
		case "false", "0", "off", "no":
			on = false
		default:
			return fmt.Errorf("%w value %q for %s: use true or false", ErrUnknownSwitch, val, name)
		}
	}
	*field(s) = on
	return nil
}
