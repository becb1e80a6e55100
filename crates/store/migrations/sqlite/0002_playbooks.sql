-- Playbooks (S1–S6), the engine's progress per conversation, captured details and follow-ups.

CREATE TABLE playbooks (
    id              TEXT PRIMARY KEY,
    version         BIGINT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 0,
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

ALTER TABLE visitors ADD COLUMN playbook_id TEXT REFERENCES playbooks (id);
ALTER TABLE visitors ADD COLUMN language TEXT;

ALTER TABLE conversations ADD COLUMN playbook_id TEXT REFERENCES playbooks (id);
ALTER TABLE conversations ADD COLUMN playbook_version BIGINT;
-- The card the bot waits at (a question or capture card) or the livechat card it handed over at.
ALTER TABLE conversations ADD COLUMN bot_card TEXT;
ALTER TABLE conversations ADD COLUMN qualified INTEGER;
ALTER TABLE conversations ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE conversations ADD COLUMN page_url TEXT;
ALTER TABLE conversations ADD COLUMN referrer TEXT;
ALTER TABLE conversations ADD COLUMN converted_url TEXT;

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
