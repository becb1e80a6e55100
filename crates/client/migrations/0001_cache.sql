-- The desktop app's local cache. The server is the truth; this is a replica of what the
-- signed-in operator may see, plus what only this device knows (read marks, drafts, outbox).

-- One row: who is signed in where, and the stream cursor. The token is NOT here (keyring or
-- a 0600 file, see src/token.rs).
CREATE TABLE session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    server_url TEXT,
    operator TEXT,            -- OperatorView JSON; NULL when signed out
    token_store TEXT,         -- 'keyring' | 'file'
    position INTEGER,         -- last stream position whose events are all applied
    epoch TEXT,               -- the server database the position belongs to
    full_load_at INTEGER      -- last complete reload from the server (unix ms)
);
INSERT INTO session (id) VALUES (1);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    row TEXT NOT NULL,            -- the wire ConversationView as the server sent it last
    folder TEXT,                  -- unassigned | mine | offline | closed; NULL with the bot
    sort_key INTEGER NOT NULL,    -- order within the folder, ascending
    state TEXT NOT NULL,
    assignee_id TEXT,
    visitor_name TEXT,
    message_count INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER,
    -- Local only:
    read_seq INTEGER NOT NULL DEFAULT 0,   -- messages up to this seq are read
    unread INTEGER NOT NULL DEFAULT 0,     -- visitor messages after read_seq
    draft TEXT NOT NULL DEFAULT '',
    details TEXT,                          -- ConversationDetails JSON, once fetched
    gone INTEGER NOT NULL DEFAULT 0        -- no longer visible, kept for its unsent outbox messages
);
CREATE INDEX conversations_by_folder ON conversations (folder, sort_key, id);
CREATE INDEX conversations_closed ON conversations (closed_at) WHERE closed_at IS NOT NULL;

CREATE TABLE messages (
    pk INTEGER PRIMARY KEY,       -- rowid for the full-text index
    id TEXT NOT NULL UNIQUE,      -- the message id (chosen by its sender)
    conversation_id TEXT NOT NULL,
    seq INTEGER,                  -- position in the conversation; NULL until the server stored it
    author TEXT NOT NULL,
    author_id TEXT,
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'pending', 'failed')),
    error_code TEXT,
    error_message TEXT,
    queued_at INTEGER             -- outbox order
);
CREATE UNIQUE INDEX messages_by_seq ON messages (conversation_id, seq);
CREATE INDEX messages_outbox ON messages (queued_at) WHERE status <> 'sent';

-- Full-text search over message bodies; diacritics folded so "fur" finds "für".
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    content = 'messages',
    content_rowid = 'pk',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.pk, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.pk, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.pk, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.pk, new.body);
END;

-- Every operator's presence as the stream last reported it.
CREATE TABLE presence (
    operator_id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    chose_online INTEGER NOT NULL,
    online INTEGER NOT NULL
);
