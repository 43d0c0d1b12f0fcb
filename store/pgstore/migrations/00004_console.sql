-- What the operator console shows: of a hand-off session, the agent who
-- answers last, the Planfix task number the poller learns and the last messageStatus planbridge reported
-- for an agent's reply, with indexes for listing sessions newest first and
-- for finding the last message each way; of an outbox item, every failed
-- attempt's error (the item keeps only the last). Times are BIGINT unix
-- microseconds.

-- +goose Up
ALTER TABLE handoff_sessions ADD COLUMN task_number TEXT NOT NULL DEFAULT '';
ALTER TABLE handoff_sessions ADD COLUMN last_status TEXT NOT NULL DEFAULT '';
ALTER TABLE handoff_sessions ADD COLUMN last_status_text TEXT NOT NULL DEFAULT '';
ALTER TABLE handoff_sessions ADD COLUMN last_status_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE handoff_sessions ADD COLUMN agent_name TEXT NOT NULL DEFAULT '';
CREATE INDEX handoff_sessions_updated ON handoff_sessions (updated_at, chat_id);
CREATE INDEX handoff_messages_chat ON handoff_messages (chat_id, origin, created_at);
CREATE TABLE outbox_attempts (
    item_id BIGINT  NOT NULL,
    at      BIGINT  NOT NULL,
    attempt INTEGER NOT NULL,
    error   TEXT    NOT NULL
);
CREATE INDEX outbox_attempts_item ON outbox_attempts (item_id, at);

-- +goose Down
DROP TABLE outbox_attempts;
DROP INDEX handoff_messages_chat;
DROP INDEX handoff_sessions_updated;
ALTER TABLE handoff_sessions DROP COLUMN agent_name;
ALTER TABLE handoff_sessions DROP COLUMN last_status_at;
ALTER TABLE handoff_sessions DROP COLUMN last_status_text;
ALTER TABLE handoff_sessions DROP COLUMN last_status;
ALTER TABLE handoff_sessions DROP COLUMN task_number;
