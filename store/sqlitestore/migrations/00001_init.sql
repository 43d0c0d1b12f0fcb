-- The outbox, the relay's conversation logs, the destinations and the
-- leases. Every time is BIGINT unix microseconds passed in by the caller
-- (0 for none), so the database clock is never consulted.

-- +goose Up
CREATE TABLE outbox_items (
    -- AUTOINCREMENT so a pruned highest id is never handed out again: ids
    -- order items per key and page listings.
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    dest         TEXT    NOT NULL,
    order_key    TEXT    NOT NULL DEFAULT '',
    coalesce_key TEXT    NOT NULL DEFAULT '',
    payload      BLOB    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('available', 'running', 'completed', 'dead', 'discarded')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    alone        BOOLEAN NOT NULL DEFAULT FALSE,
    -- merges counts enqueues folded into this item; the upsert returns it
    -- to tell an insert from a coalesce portably.
    merges       INTEGER NOT NULL DEFAULT 0,
    run_at       BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    locked_by    TEXT    NOT NULL DEFAULT '',
    locked_until BIGINT  NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    finished_at  BIGINT  NOT NULL DEFAULT 0
);

-- The claim walks a destination and kind's available items in id order
-- and stops at its limit; run_at rides along so due-ness is read from the
-- index. Led by run_at instead, a claim would sort every due item.
CREATE INDEX outbox_items_claim ON outbox_items (dest, kind, id, run_at) WHERE state = 'available';
CREATE INDEX outbox_items_head ON outbox_items (dest, order_key, id) WHERE state IN ('available', 'running');
CREATE UNIQUE INDEX outbox_items_coalesce ON outbox_items (dest, kind, coalesce_key) WHERE state = 'available' AND coalesce_key <> '';
CREATE INDEX outbox_items_lapse ON outbox_items (locked_until) WHERE state = 'running';
CREATE INDEX outbox_items_finished ON outbox_items (finished_at) WHERE state IN ('completed', 'discarded');
-- Stats reads this instead of the rows, whose payloads make them wide. It
-- leads with dest and kind so no query on state alone mistakes it for the
-- partial indexes above.
CREATE INDEX outbox_items_stats ON outbox_items (dest, kind, state, created_at);

CREATE TABLE relay_conversations (
    dest                TEXT   NOT NULL,
    id                  TEXT   NOT NULL,
    company_id          TEXT   NOT NULL DEFAULT '',
    end_user_email      TEXT   NOT NULL DEFAULT '',
    end_user_name       TEXT   NOT NULL DEFAULT '',
    bot_name            TEXT   NOT NULL DEFAULT '',
    subject             TEXT   NOT NULL DEFAULT '',
    end_user_id         TEXT   NOT NULL DEFAULT '',
    resolved_company_id TEXT   NOT NULL DEFAULT '',
    -- messages is the conversation's message count and the last Seq given.
    messages            BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (dest, id)
) WITHOUT ROWID;

CREATE TABLE relay_messages (
    dest            TEXT   NOT NULL,
    conversation_id TEXT   NOT NULL,
    seq             BIGINT NOT NULL,
    message_id      TEXT   NOT NULL DEFAULT '',
    author          TEXT   NOT NULL DEFAULT '',
    name            TEXT   NOT NULL DEFAULT '',
    body            TEXT   NOT NULL DEFAULT '',
    sent_at         BIGINT NOT NULL DEFAULT 0,
    received_at     BIGINT NOT NULL,
    PRIMARY KEY (dest, conversation_id, seq)
) WITHOUT ROWID;

CREATE UNIQUE INDEX relay_messages_message_id ON relay_messages (dest, conversation_id, message_id) WHERE message_id <> '';

CREATE TABLE destinations (
    id            TEXT   NOT NULL PRIMARY KEY,
    api_url       TEXT   NOT NULL DEFAULT '',
    analytics_url TEXT   NOT NULL DEFAULT '',
    token         TEXT   NOT NULL DEFAULT '',
    tenant        TEXT   NOT NULL DEFAULT '',
    updated_at    BIGINT NOT NULL
) WITHOUT ROWID;

CREATE TABLE leases (
    name       TEXT   NOT NULL PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE leases;
DROP TABLE destinations;
DROP TABLE relay_messages;
DROP TABLE relay_conversations;
DROP TABLE outbox_items;
