-- Frontdesk schema on PostgreSQL, version 1: the same tables as SQLite's migrations 1–3, with
-- booleans as BOOLEAN, row numbers as identity columns, and the event counter row.

CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    -- The operator's own choice (online/offline), per operator rather than per device.
    chose_online  BOOLEAN NOT NULL DEFAULT FALSE
);
-- Emails are compared case-insensitively; two nodes creating the same account race here.
CREATE UNIQUE INDEX operators_by_email ON operators (lower(email));

CREATE TABLE playbooks (
    id              TEXT PRIMARY KEY,
    version         BIGINT NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT FALSE,
    -- JSON array of origins (https://www.example.com) where the widget may run.
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- Every saved version stays: a running conversation keeps the version it started with.
CREATE TABLE playbook_versions (
    playbook_id TEXT NOT NULL REFERENCES playbooks (id),
    version     BIGINT NOT NULL,
    definition  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (playbook_id, version)
);

CREATE TABLE visitors (
    id          TEXT PRIMARY KEY,
    name        TEXT,
    created_at  BIGINT NOT NULL,
    playbook_id TEXT REFERENCES playbooks (id),
    language    TEXT
);

-- Bearer tokens, stored as SHA-256 hashes: a leaked database does not leak live tokens.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    operator_id  TEXT REFERENCES operators (id),
    visitor_id   TEXT REFERENCES visitors (id),
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    id           TEXT NOT NULL UNIQUE,
    device       TEXT,
    last_used_at BIGINT NOT NULL,
    CHECK ((operator_id IS NULL) <> (visitor_id IS NULL))
);
CREATE INDEX sessions_by_operator ON sessions (operator_id) WHERE operator_id IS NOT NULL;

CREATE TABLE conversations (
    num              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    visitor_id       TEXT NOT NULL REFERENCES visitors (id),
    state            TEXT NOT NULL CHECK (state IN ('bot', 'waiting', 'assigned', 'offline', 'closed')),
    assignee_id      TEXT REFERENCES operators (id),
    wait_deadline    BIGINT,
    display_name     TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    playbook_id      TEXT REFERENCES playbooks (id),
    playbook_version BIGINT,
    -- The card the bot waits at (a question or capture card) or the livechat card it handed over at.
    bot_card         TEXT,
    qualified        BOOLEAN,
    language         TEXT NOT NULL DEFAULT 'en',
    page_url         TEXT,
    referrer         TEXT,
    converted_url    TEXT,
    -- Who handled it last (kept after release and close) and when it closed.
    handled_by       TEXT REFERENCES operators (id),
    handled_by_name  TEXT,
    closed_at        BIGINT,
    -- The inbox row: messages are numbered 1..message_count per conversation.
    message_count    BIGINT NOT NULL DEFAULT 0,
    last_message_at  BIGINT,
    preview          TEXT,
    last_author      TEXT,
    CHECK ((state = 'assigned') = (assignee_id IS NOT NULL)),
    CHECK ((state = 'waiting') = (wait_deadline IS NOT NULL))
);
-- One open conversation per visitor: a second "talk to a person" cannot create a duplicate chat.
CREATE UNIQUE INDEX one_open_conversation_per_visitor ON conversations (visitor_id) WHERE state <> 'closed';
CREATE INDEX conversations_by_state ON conversations (state, num);
CREATE INDEX conversations_by_assignee ON conversations (assignee_id, num) WHERE assignee_id IS NOT NULL;
CREATE INDEX conversations_by_handler ON conversations (handled_by, num) WHERE handled_by IS NOT NULL;
CREATE INDEX conversations_by_visitor ON conversations (visitor_id, num);

CREATE TABLE messages (
    num             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Chosen by the sender: a retried send hits this unique key and stores nothing new.
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    author_kind     TEXT NOT NULL CHECK (author_kind IN ('visitor', 'operator', 'bot', 'system')),
    author_id       TEXT,
    author_name     TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    seq             BIGINT NOT NULL
);
CREATE UNIQUE INDEX messages_by_conversation_seq ON messages (conversation_id, seq);

-- The realtime stream. `seq` is taken from `event_counter` at the end of the writing
-- transaction: the counter row's lock is held until COMMIT, so seq order is commit order and
-- a reader never sees seq n+1 before n (see ARCHITECTURE.md, "Event order").
-- op_audience: '*' (every operator), an operator id, or NULL; visitor_id: the visitor who
-- receives it, or NULL. `actor` is JSON {kind, id, name}; `created_at` the commit time.
CREATE TABLE events (
    seq             BIGINT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    op_audience     TEXT,
    visitor_id      TEXT,
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    actor           TEXT NOT NULL
);
CREATE INDEX events_by_operator ON events (op_audience, seq) WHERE op_audience IS NOT NULL;
CREATE INDEX events_by_visitor ON events (visitor_id, seq) WHERE visitor_id IS NOT NULL;
CREATE INDEX events_by_conversation ON events (conversation_id, seq);

-- Exactly one row: the last seq handed out. Never decreases (pruning keeps it).
CREATE TABLE event_counter (
    one      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    last_seq BIGINT NOT NULL
);
INSERT INTO event_counter (one, last_seq) VALUES (TRUE, 0);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE conversation_fields (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    key             TEXT NOT NULL,
    value           TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, key)
);

CREATE TABLE follow_ups (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    kind            TEXT NOT NULL CHECK (kind IN ('activity', 'lead', 'deal')),
    title           TEXT NOT NULL,
    -- JSON array of {key, value}: the captured fields when it was created.
    fields          TEXT NOT NULL,
    page_url        TEXT,
    status          TEXT NOT NULL DEFAULT 'pending',
    created_at      BIGINT NOT NULL
);
CREATE INDEX follow_ups_by_conversation ON follow_ups (conversation_id, created_at);
