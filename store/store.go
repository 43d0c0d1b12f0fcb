// Package store defines planbridge's durable state: the outbox of work for
// Planhat (and later Planfix), the conversation logs the relay turns into
// Planhat conversations, the destinations (credentials) that work is
// delivered with, and the leases that let one replica at a time spend a
// token's budget.
//
// Two implementations satisfy it: store/sqlitestore (the default, one file)
// and store/pgstore (several replicas on one PostgreSQL). store/storetest is
// the conformance suite both pass. Every time a Store stores or compares is
// passed in by the caller, so engines and tests decide what "now" is.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a destination, conversation or item does not exist.
var ErrNotFound = errors.New("store: not found")

// State is where an outbox item is in its life.
type State string

// The states of an outbox item.
const (
	// StateAvailable items wait for RunAt to pass and their key's earlier items to finish.
	StateAvailable State = "available"
	// StateRunning items are claimed by a deliverer until LockedUntil.
	StateRunning State = "running"
	// StateCompleted items were delivered; they are pruned after the retention period.
	StateCompleted State = "completed"
	// StateDead items failed MaxAttempts times (or permanently); LastError says why.
	StateDead State = "dead"
	// StateDiscarded items were dropped by an operator.
	StateDiscarded State = "discarded"
)

// States lists every state, in life order.
func States() []State {
	return []State{StateAvailable, StateRunning, StateCompleted, StateDead, StateDiscarded}
}

// Valid reports whether s is one of States.
func (s State) Valid() bool {
	switch s {
	case StateAvailable, StateRunning, StateCompleted, StateDead, StateDiscarded:
		return true
	}
	return false
}

// NewItem is work to enqueue.
type NewItem struct {
	// Kind names the deliverer, e.g. "planhat.conversation".
	Kind string
	// Dest is the destination's id (see Destination).
	Dest string
	// Key orders items: of the items with the same Dest and Key, only the
	// oldest unfinished one can be claimed. Empty means unordered.
	Key string
	// Coalesce, when set, merges this item into an available (not yet
	// claimed) item of the same Dest, Kind and Coalesce: its payload is
	// replaced and no second item is made.
	Coalesce string
	// Payload is the deliverer's data, usually JSON.
	Payload []byte
	// MaxAttempts bounds deliveries before the item is dead; 0 means 25.
	MaxAttempts int
	// RunAt is the earliest delivery time; zero means now.
	RunAt time.Time
}

// DefaultMaxAttempts is the attempts an item gets when NewItem.MaxAttempts is 0.
const DefaultMaxAttempts = 25

// Item is an outbox item as stored.
type Item struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	Dest        string `json:"dest"`
	Key         string `json:"key,omitempty"`
	Coalesce    string `json:"coalesce,omitempty"`
	Payload     []byte `json:"payload"`
	State       State  `json:"state"`
	Attempts    int    `json:"attempts"`
	MaxAttempts int    `json:"maxAttempts"`
	// Alone asks the deliverer to send the item on its own (it failed inside a batch).
	Alone       bool      `json:"alone,omitempty"`
	RunAt       time.Time `json:"runAt"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	LockedBy    string    `json:"lockedBy,omitempty"`
	LockedUntil time.Time `json:"lockedUntil,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
	FinishedAt  time.Time `json:"finishedAt,omitzero"`
}

// Attempt is one failed delivery attempt of an item, as Finish or Rescue recorded it.
type Attempt struct {
	At time.Time `json:"at"`
	// Attempt is the item's attempt count after it (a snooze gives its attempt back).
	Attempt int    `json:"attempt"`
	Error   string `json:"error"`
}

// MaxAttemptLog is how many failed attempts a store keeps per item, newest.
const MaxAttemptLog = 50

// Enqueued reports what Enqueue did.
type Enqueued struct {
	// ID is the item's id (the existing item's when coalesced).
	ID int64
	// Coalesced is true when the work merged into an available item.
	Coalesced bool
}

// Conversation is a bot conversation the relay logs to Planhat.
type Conversation struct {
	Dest         string `json:"dest"`
	ID           string `json:"id"`
	CompanyID    string `json:"companyId,omitempty"`
	EndUserEmail string `json:"endUserEmail,omitempty"`
	EndUserName  string `json:"endUserName,omitempty"`
	BotName      string `json:"botName,omitempty"`
	Subject      string `json:"subject,omitempty"`
	// EndUserID is the Planhat contact found for EndUserEmail, once resolved.
	EndUserID string `json:"endUserId,omitempty"`
	// ResolvedCompanyID is the company found for the contact when CompanyID was not given.
	ResolvedCompanyID string `json:"resolvedCompanyId,omitempty"`
	// Messages is how many messages the conversation has.
	Messages  int       `json:"messages"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Message is one turn of a conversation.
type Message struct {
	// Seq orders the conversation's messages as they were accepted (set by the store).
	Seq int64 `json:"seq"`
	// MessageID is the caller's id of the message; a second message with the
	// same id in the same conversation is ignored.
	MessageID string    `json:"messageId,omitempty"`
	Author    string    `json:"author"`
	Name      string    `json:"name,omitempty"`
	Text      string    `json:"text"`
	Time      time.Time `json:"time,omitzero"`
	// ReceivedAt is when planbridge accepted it.
	ReceivedAt time.Time `json:"receivedAt"`
}

// ConversationUpdate creates a conversation or updates its details; empty
// fields keep what is stored.
type ConversationUpdate struct {
	Dest         string
	ID           string
	CompanyID    string
	EndUserEmail string
	EndUserName  string
	BotName      string
	Subject      string
	Now          time.Time
}

// Destination is where delivered work goes: a Planhat tenant and the
// credentials to reach it. Its ID is a fingerprint of those, so items never
// hold a secret; the credentials are stored once, because a delivery may
// happen on another replica or after a restart, long after the request
// that brought them.
type Destination struct {
	ID           string    `json:"id"`
	APIURL       string    `json:"apiUrl"`
	AnalyticsURL string    `json:"analyticsUrl,omitempty"`
	Token        string    `json:"-"`
	Tenant       string    `json:"-"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// Tx is one write transaction: a business write and the outbox items it
// causes commit together or not at all.
type Tx interface {
	HandoffTx
	// Enqueue adds an item, or merges it into an available one (NewItem.Coalesce).
	Enqueue(ctx context.Context, it NewItem, now time.Time) (Enqueued, error)
	// UpsertConversation creates the conversation or updates its details.
	UpsertConversation(ctx context.Context, c ConversationUpdate) error
	// AppendMessages adds messages to an existing conversation in order,
	// skipping any whose MessageID it already has; it returns how many it added.
	AppendMessages(ctx context.Context, dest, conversationID string, msgs []Message) (int, error)
	// PutDestination stores or replaces a destination.
	PutDestination(ctx context.Context, d Destination) error
}

// Claim asks for up to Limit claimable items of one destination and kind.
type Claim struct {
	Dest  string
	Kind  string
	Limit int
	// Owner names the claimer; only it can finish or extend the items.
	Owner string
	Now   time.Time
	// Until is when the claim lapses unless extended (the lease).
	Until time.Time
}

// Group is a destination and kind with claimable items.
type Group struct {
	Dest  string `json:"dest"`
	Kind  string `json:"kind"`
	Items int    `json:"items"`
}

// Outcome says how one claimed item ended.
type Outcome struct {
	ID int64
	// State is StateCompleted, StateAvailable (retry or snooze) or StateDead.
	State State
	// RunAt is the next attempt's time when State is StateAvailable.
	RunAt time.Time
	// Refund gives the attempt back: a snooze (Planhat said 429) is not a failure.
	Refund bool
	// Alone marks the item to be delivered on its own next time.
	Alone bool
	// Error is kept as LastError (nothing for a completed item).
	Error string
}

// Filter selects items for listing and operator actions; zero fields match anything.
type Filter struct {
	IDs    []int64
	States []State
	Kind   string
	Dest   string
	Key    string
	// Before and After bound CreatedAt, exclusive.
	Before time.Time
	After  time.Time
	// AfterID pages: only items with a larger id.
	AfterID int64
	// Limit caps List; 0 means 100.
	Limit int
}

// Stats summarises the outbox.
type Stats struct {
	// ByState counts items per state.
	ByState map[State]int `json:"byState"`
	// Groups count available, running and dead items per destination and
	// kind, for those with any, ordered by destination and kind.
	Groups []GroupStats `json:"groups"`
	// OldestPending is the creation time of the oldest available or running item (zero when none).
	OldestPending time.Time `json:"oldestPending,omitzero"`
}

// GroupStats are one destination and kind's unfinished items.
type GroupStats struct {
	Dest          string    `json:"dest"`
	Kind          string    `json:"kind"`
	Available     int       `json:"available"`
	Running       int       `json:"running"`
	Dead          int       `json:"dead"`
	OldestPending time.Time `json:"oldestPending,omitzero"`
}

// Store is planbridge's durable state. Implementations are safe for
// concurrent use; every write is durable when its method returns.
type Store interface {
	Handoffs
	Budgets
	// Write runs fn in one transaction and commits it (writes of concurrent
	// callers may share one commit). fn must not keep tx.
	Write(ctx context.Context, fn func(Tx) error) error

	// Pending lists the destinations and kinds with items claimable at now.
	Pending(ctx context.Context, now time.Time) ([]Group, error)
	// ClaimItems marks up to c.Limit claimable items running for c.Owner and
	// returns them, oldest first. Claimable: available, RunAt not after Now,
	// and no older available or running item with the same Dest and non-empty Key.
	ClaimItems(ctx context.Context, c Claim) ([]Item, error)
	// Extend moves the claim of owner's running items to until; it returns
	// the ids still held (a rescued item is no longer owner's).
	Extend(ctx context.Context, owner string, ids []int64, until time.Time) ([]int64, error)
	// Finish records outcomes of owner's running items at now and returns
	// how many it applied; items owner no longer holds are left alone. An
	// item retried (StateAvailable) while an available item took its
	// Coalesce is discarded instead: that item already carries newer work.
	Finish(ctx context.Context, owner string, now time.Time, outcomes []Outcome) (int, error)
	// Rescue returns running items whose claim lapsed before now to
	// available (or dead, when out of attempts) and returns how many; one
	// whose Coalesce an available or newer lapsed item holds is discarded.
	Rescue(ctx context.Context, now time.Time) (int, error)
	// Prune deletes up to limit completed and discarded items finished
	// before before; ids are never reused.
	Prune(ctx context.Context, before time.Time, limit int) (int, error)

	// Backlog counts available and running items.
	Backlog(ctx context.Context) (int, error)
	// Stats summarises the outbox.
	Stats(ctx context.Context) (Stats, error)
	// List returns items matching f, by id ascending.
	List(ctx context.Context, f Filter) ([]Item, error)
	// Item returns one item, or ErrNotFound.
	Item(ctx context.Context, id int64) (Item, error)
	// Attempts returns an item's failed attempts, oldest first (at most
	// MaxAttemptLog, the newest); none for an unknown item.
	Attempts(ctx context.Context, id int64) ([]Attempt, error)
	// Retry makes matching dead, discarded or available items available at
	// now with fresh attempts; running and completed items are not touched.
	// A dead or discarded item whose Coalesce an available item holds is
	// skipped (not counted), and of several sharing a free one only the
	// newest is retried.
	Retry(ctx context.Context, f Filter, now time.Time) (int, error)
	// Discard marks matching available and dead items discarded.
	Discard(ctx context.Context, f Filter, now time.Time) (int, error)

	// Conversation returns one conversation, or ErrNotFound.
	Conversation(ctx context.Context, dest, id string) (Conversation, error)
	// Messages returns the newest limit messages of a conversation in Seq
	// order (all of them when limit <= 0), or ErrNotFound.
	Messages(ctx context.Context, dest, conversationID string, limit int) ([]Message, error)
	// SetConversationContact remembers the Planhat contact and company found for a conversation.
	SetConversationContact(ctx context.Context, dest, id, endUserID, companyID string) error

	// Destination returns a destination, or ErrNotFound.
	Destination(ctx context.Context, id string) (Destination, error)

	// AcquireLease takes or renews the lease name for holder until until,
	// when it is free, lapsed at now, or already holder's; it reports
	// whether holder holds it.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease gives the lease up if holder holds it.
	ReleaseLease(ctx context.Context, name, holder string) error

	// Dialect names the database: "sqlite" or "postgres".
	Dialect() string
	// Close releases the database.
	Close() error
}
