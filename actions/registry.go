package actions

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Registry holds actions by name. It is safe for concurrent use; doors build
// it once at start-up and then only read it.
type Registry struct {
	mu        sync.RWMutex
	actions   map[string]*Action
	observers []Observer
	logger    *slog.Logger
}

// NewRegistry returns a registry holding the given actions.
func NewRegistry(actions ...*Action) (*Registry, error) {
	r := &Registry{}
	if err := r.Add(actions...); err != nil {
		return nil, err
	}
	return r, nil
}

// Add registers actions. It refuses (and adds none of them) when a name is
// empty or taken, or when a schema property lacks a title or description,
// since the Botpress linter would reject the definition later.
func (r *Registry) Add(actions ...*Action) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.actions == nil {
		r.actions = make(map[string]*Action)
	}
	seen := map[string]bool{}
	var errs []error
	for _, a := range actions {
		switch {
		case a == nil || a.run == nil:
			errs = append(errs, errors.New("actions: Add: an action was not built with actions.New"))
			continue
		case a.Name == "":
			errs = append(errs, errors.New("actions: Add: an action has no name"))
		case r.actions[a.Name] != nil || seen[a.Name]:
			errs = append(errs, fmt.Errorf("actions: Add: %q is already registered", a.Name))
		case strings.TrimSpace(a.Description) == "" || strings.TrimSpace(a.Title) == "":
			errs = append(errs, fmt.Errorf("actions: Add: %q needs a title and a description", a.Name))
		}
		seen[a.Name] = true
		if _, err := a.resolve(); err != nil {
			errs = append(errs, err)
		}
		if _, err := a.Output.Resolve(nil); err != nil {
			errs = append(errs, fmt.Errorf("actions: output schema of %s: %w", a.Name, err))
		}
		for _, e := range checkSchemaDocs(a.Input, "input") {
			errs = append(errs, fmt.Errorf("actions: Add: %s: %w", a.Name, e))
		}
		for _, e := range checkSchemaDocs(a.Output, "output") {
			errs = append(errs, fmt.Errorf("actions: Add: %s: %w", a.Name, e))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, a := range actions {
		r.actions[a.Name] = a
	}
	return nil
}

// Get returns the action with the given name.
func (r *Registry) Get(name string) (*Action, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	a, ok := r.actions[name]
	return a, ok
}

// All returns every action, sorted by name.
func (r *Registry) All() []*Action {
	r.mu.RLock()
	defer r.mu.RUnlock()
	all := slices.Collect(maps.Values(r.actions))
	slices.SortFunc(all, func(a, b *Action) int { return strings.Compare(a.Name, b.Name) })
	return all
}

// Lookup returns the named action, or an *UnknownActionError suggesting the
// closest registered name, so doors can refuse an unknown name before
// preparing a call.
func (r *Registry) Lookup(name string) (*Action, error) {
	if a, ok := r.Get(name); ok {
		return a, nil
	}
	return nil, &UnknownActionError{Name: name, Suggestion: r.closest(name)}
}

// closest returns the registered name nearest to name, if it is near enough
// to be a typo.
func (r *Registry) closest(name string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(name) > 100 {
		return ""
	}
	best, bestDist := "", 4
	for _, n := range slices.Sorted(maps.Keys(r.actions)) {
		if strings.EqualFold(n, name) {
			return n
		}
		if d := editDistance(strings.ToLower(n), strings.ToLower(name)); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
