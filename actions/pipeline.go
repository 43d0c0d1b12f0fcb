package actions

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/planbridge/planbridge/readcache"
)

// Invocation is one call of an action through a door: everything the
// pipeline needs to run it and to report it.
type Invocation struct {
	// Door names the door the call came through ("botpress", "rest",
	// "cli", "mcp"), for metrics and logs.
	Door string
	// Action is the requested action name.
	Action string
	// Input is the action input, one JSON object (empty means {}).
	Input json.RawMessage
	// Deps are the dependencies the door provides for this call.
	Deps Deps
	// Wording tells the caller where to change settings, in the door's
	// terms; nil means neutral wording.
	Wording *Wording
	// Logger receives the call's outcome, carrying the door's request
	// attributes (request id); nil means the registry's logger.
	Logger *slog.Logger
}

// Error is the one error value every action call fails with: a stable code
// with its properties, a message safe to show, the real retry-after when
// known, and the cause for logs.
type Error struct {
	// Code is the stable code; Code.Spec() holds its presentation.
	Code Code `json:"code"`
	// Message says what went wrong and what to do, in the door's wording;
	// it never contains secrets or raw upstream bodies.
	Message string `json:"message"`
	// Retryable says whether the same call may succeed later unchanged.
	Retryable bool `json:"retryable"`
	// UserFixable says whether the caller can act on the message, as
	// opposed to a fault on our side (answered as a generic internal error).
	UserFixable bool `json:"userFixable"`
	// RetryAfter is how long to wait before retrying, when known (a rate
	// limit's real remaining pause); zero otherwise.
	RetryAfter time.Duration `json:"-"`
	// Fields are the field-level problems of invalid input.
	Fields []FieldError `json:"-"`
	// Err is the underlying error, for logs only: it may name hosts or
	// upstream details that are not for the caller.
	Err error `json:"-"`
}

// Error returns the safe message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause, so errors.Is and errors.As see through.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status the REST door answers with.
func (e *Error) HTTPStatus() int { return e.Code.Spec().HTTPStatus }

// Outcome is what observers learn of every call through Invoke.
type Outcome struct {
	// Door and Action identify the call.
	Door, Action string
	// Duration is how long the call took, validation included.
	Duration time.Duration
	// Err is nil on success.
	Err *Error
}

// Observer is told the outcome of every call; observers must be fast and
// must not block (metrics, logs, test hooks).
type Observer func(ctx context.Context, o Outcome)

// Observe adds an observer to every later call; doors and servers call it
// at start-up.
func (r *Registry) Observe(o Observer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.observers = append(r.observers, o)
}

// SetLogger sets the logger of calls whose Invocation names none.
func (r *Registry) SetLogger(l *slog.Logger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logger = l
}

// Needs returns the union of every registered action's dependencies.
func (r *Registry) Needs() Need {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var n Need
	for _, a := range r.actions {
		n |= a.Needs
	}
	return n
}

// Unmet lists the actions whose needs provided does not cover, so a door
// can say at start-up which actions it cannot serve and why.
func (r *Registry) Unmet(provided Need) []*Action {
	var out []*Action
	for _, a := range r.All() {
		if a.Needs&^provided != 0 {
			out = append(out, a)
		}
	}
	return out
}

// Invoke is the one way every door runs an action: look up, validate once,
// run with the door's dependencies, classify any failure into an *Error in
// the door's wording, tell the observers and log the outcome. On success it
// returns the output JSON and a nil *Error.
func (r *Registry) Invoke(ctx context.Context, inv Invocation) (json.RawMessage, *Error) {
	start := time.Now()
	ctx, stale := readcache.NoteStale(ctx)
	out, err := r.invoke(ctx, inv)
	var e *Error
	if err != nil {
		e = Classify(err, inv.Wording)
	}
	r.mu.RLock()
	observers, logger := r.observers, r.logger
	r.mu.RUnlock()
	o := Outcome{Door: inv.Door, Action: inv.Action, Duration: time.Since(start), Err: e}
	for _, obs := range observers {
		obs(ctx, o)
	}
	if e != nil {
		if inv.Logger != nil {
			logger = inv.Logger
		}
		logOutcome(ctx, logger, inv, e)
	} else if age, reason, ok := stale.Stale(); ok && (logger != nil || inv.Logger != nil) {
		// The answer is a valid one, only old: the caller's door may say so (REST sets
		// Planbridge-Cache), and the operator sees how often the budget forces it.
		if inv.Logger != nil {
			logger = inv.Logger
		}
		logger.InfoContext(ctx, "action answered from a stale cache", "door", inv.Door, "action", inv.Action,
			"age_s", int(age.Seconds()), "reason", reason)
	}
	return out, e
}

func (r *Registry) invoke(ctx context.Context, inv Invocation) (json.RawMessage, error) {
	a, err := r.Lookup(inv.Action)
	if err != nil {
		return nil, err
	}
	return a.call(ctx, inv.Deps, inv.Input)
}

// logOutcome logs a failed call: faults on our side and upstream failures
// at error level with their cause, refusals at info level.
func logOutcome(ctx context.Context, logger *slog.Logger, inv Invocation, e *Error) {
	if logger == nil {
		return
	}
	level := slog.LevelInfo
	msg := "action refused"
	if !e.UserFixable || e.Code == CodeUpstreamError || e.Code == CodeUpstreamTimeout {
		level, msg = slog.LevelError, "action failed"
	}
	if !logger.Enabled(ctx, level) {
		return
	}
	attrs := []any{"door", inv.Door, "action", inv.Action, "code", string(e.Code)}
	if e.Err != nil {
		attrs = append(attrs, "error", e.Err.Error())
	}
	logger.Log(ctx, level, msg, attrs...)
}
