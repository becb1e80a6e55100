-- Frontdesk schema, version 1. Portable SQL where a portable form exists: the PostgreSQL
-- migration differs only in INTEGER PRIMARY KEY AUTOINCREMENT (→ BIGINT GENERATED ... AS IDENTITY).

CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE visitors (
    id         TEXT PRIMARY KEY,
    name       TEXT,
    created_at BIGINT NOT NULL
);

-- Bearer tokens, stored as SHA-256 hashes: a leaked database does not leak live tokens.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    operator_id TEXT REFERENCES operators (id),
    visitor_id  TEXT REFERENCES visitors (id),
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    CHECK ((operator_id IS NULL) <> (visitor_id IS NULL))
);
CREATE INDEX sessions_by_operator ON sessions (operator_id) WHERE operator_id IS NOT NULL;

CREATE TABLE conversations (
    num           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    visitor_id    TEXT NOT NULL REFERENCES visitors (id),
    state         TEXT NOT NULL CHECK (state IN ('bot', 'waiting', 'assigned', 'offline', 'closed')),
    assignee_id   TEXT REFERENCES operators (id),
    wait_deadline BIGINT,
    display_name  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CHECK ((state = 'assigned') = (assignee_id IS NOT NULL)),
    CHECK ((state = 'waiting') = (wait_deadline IS NOT NULL))
);
-- One open conversation per visitor: a second "talk to a person" cannot create a duplicate chat.
CREATE UNIQUE INDEX one_open_conversation_per_visitor ON conversations (visitor_id) WHERE state <> 'closed';
CREATE INDEX conversations_by_state ON conversations (state, num);
CREATE INDEX conversations_by_assignee ON conversations (assignee_id, num) WHERE assignee_id IS NOT NULL;

CREATE TABLE messages (
    num             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Chosen by the sender: a retried send hits this unique key and stores nothing new.
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    author_kind     TEXT NOT NULL CHECK (author_kind IN ('visitor', 'operator', 'bot', 'system')),
    author_id       TEXT,
    author_name     TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, num);

-- The realtime stream. `seq` is assigned by the single writer inside the committing
-- transaction, so commit order = seq order and a reader never sees seq n+1 before n.
-- op_audience: '*' (every operator), an operator id, or NULL; visitor_id: the visitor who
-- receives it, or NULL.
CREATE TABLE events (
    seq             BIGINT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    op_audience     TEXT,
    visitor_id      TEXT,
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX events_by_operator ON events (op_audience, seq) WHERE op_audience IS NOT NULL;
CREATE INDEX events_by_visitor ON events (visitor_id, seq) WHERE visitor_id IS NOT NULL;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
