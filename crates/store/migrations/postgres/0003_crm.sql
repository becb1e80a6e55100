-- Sales records (S12–S14, B7), their push to Pipedrive (B8) and the audit trail (B10): the
-- same tables as SQLite's migration 4, with identity columns for row numbers.

-- People a conversation was about. A returning visitor (same email, or the same visitor id)
-- finds the person created before.
CREATE TABLE crm_persons (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    emails     TEXT NOT NULL DEFAULT '[]',  -- JSON array
    phones     TEXT NOT NULL DEFAULT '[]',  -- JSON array
    visitor_id TEXT REFERENCES visitors (id),
    remote_id  BIGINT,                      -- the Pipedrive person, once pushed
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX crm_persons_by_visitor ON crm_persons (visitor_id) WHERE visitor_id IS NOT NULL;
-- One person per email (lower case). Two nodes creating a person for one new email race
-- here: the loser's transaction runs again and finds the winner's person.
CREATE TABLE crm_person_emails (
    email     TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES crm_persons (id)
);

CREATE TABLE crm_organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE,        -- lower case, single spaces
    address    TEXT,
    remote_id  BIGINT,
    created_at BIGINT NOT NULL
);

-- Leads, deals and activities created from a conversation ("Created results"). The row is
-- also the push queue: `sync_status` pending with `next_attempt_at`.
CREATE TABLE crm_results (
    num             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    -- Chosen by the client (or the follow-up's id): a retried create finds this row.
    idempotency_key TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    kind            TEXT NOT NULL CHECK (kind IN ('lead', 'deal', 'activity')),
    title           TEXT NOT NULL,
    value           BIGINT,
    currency        TEXT,
    person_id       TEXT REFERENCES crm_persons (id),
    org_id          TEXT REFERENCES crm_organizations (id),
    owner_id        TEXT REFERENCES operators (id),
    owner_name      TEXT,
    source          TEXT NOT NULL CHECK (source IN ('Live chat', 'Chatbot')),
    converted_url   TEXT,
    stage           TEXT,
    activity_type   TEXT,
    due_date        TEXT,
    due_time        TEXT,
    created_at      BIGINT NOT NULL,
    sync_status     TEXT NOT NULL CHECK (sync_status IN ('local', 'pending', 'synced', 'failed')),
    sync_error      TEXT,
    sync_url        TEXT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    -- Remote ids, stored as soon as each remote object exists: a retry never creates a second.
    remote_id       TEXT,
    remote_note_id  BIGINT
);
CREATE INDEX crm_results_by_conversation ON crm_results (conversation_id, num);
CREATE INDEX crm_results_due ON crm_results (next_attempt_at) WHERE sync_status = 'pending';

-- Notes: the transcript (and the operator's notes) attached to a lead or deal.
CREATE TABLE crm_notes (
    id              TEXT PRIMARY KEY,
    result_id       TEXT NOT NULL REFERENCES crm_results (id),
    content         TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

-- The editable details of a conversation (S12), once someone edited them.
CREATE TABLE conversation_sales (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (id),
    details         TEXT NOT NULL,              -- JSON
    updated_at      BIGINT NOT NULL,
    updated_by_name TEXT
);

-- Who did what to a conversation, when (B10).
CREATE TABLE audit_log (
    num             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    at              BIGINT NOT NULL,
    actor           TEXT NOT NULL,              -- JSON ActorView
    action          TEXT NOT NULL,
    fields          TEXT NOT NULL DEFAULT '[]', -- JSON array of field names
    result_id       TEXT,
    note            TEXT
);
CREATE INDEX audit_by_conversation ON audit_log (conversation_id, num);

ALTER TABLE follow_ups ADD COLUMN result_id TEXT REFERENCES crm_results (id);
