-- Human hand-off to Planfix: the installations sessions run through, the
-- sessions (a Planfix chat bound to a bot-side conversation) and the
-- messages that crossed, for de-duplication. Times are BIGINT unix
-- microseconds passed in by the caller, as in 00001.

-- +goose Up
CREATE TABLE handoff_installations (
    id                TEXT   NOT NULL PRIMARY KEY,
    endpoint          TEXT   NOT NULL,
    planfix_token     TEXT   NOT NULL,
    provider_id       TEXT   NOT NULL,
    user_email        TEXT   NOT NULL DEFAULT '',
    bot_name          TEXT   NOT NULL DEFAULT '',
    bot_avatar_url    TEXT   NOT NULL DEFAULT '',
    bot_id            TEXT   NOT NULL DEFAULT '',
    integration_id    TEXT   NOT NULL DEFAULT '',
    integration_alias TEXT   NOT NULL DEFAULT '',
    webhook_url       TEXT   NOT NULL DEFAULT '',
    webhook_secret    TEXT   NOT NULL DEFAULT '',
    updated_at        BIGINT NOT NULL
) WITHOUT ROWID;

CREATE TABLE handoff_sessions (
    chat_id         TEXT    NOT NULL PRIMARY KEY,
    installation    TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    user_id         TEXT    NOT NULL DEFAULT '',
    contact_id      TEXT    NOT NULL,
    contact_name    TEXT    NOT NULL DEFAULT '',
    contact_email   TEXT    NOT NULL DEFAULT '',
    title           TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL CHECK (state IN ('open', 'stopped')),
    assigned        BOOLEAN NOT NULL DEFAULT FALSE,
    stop_reason     TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    checked_at      BIGINT  NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX handoff_sessions_conversation ON handoff_sessions (installation, conversation_id, created_at);
-- The task poller walks open sessions least recently checked first.
CREATE INDEX handoff_sessions_open ON handoff_sessions (checked_at, chat_id) WHERE state = 'open';

CREATE TABLE handoff_messages (
    installation TEXT   NOT NULL,
    origin       TEXT   NOT NULL CHECK (origin IN ('planfix', 'bot')),
    msg_key      TEXT   NOT NULL,
    chat_id      TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (installation, origin, msg_key)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE handoff_messages;
DROP TABLE handoff_sessions;
DROP TABLE handoff_installations;
