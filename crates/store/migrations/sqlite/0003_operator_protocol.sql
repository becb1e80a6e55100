-- What an operator app needs: presence that survives restarts, folders for every visible
-- conversation, inbox rows without a second call, events that say who and when, devices.

-- The operator's own choice (online/offline), per operator rather than per device.
ALTER TABLE operators ADD COLUMN chose_online INTEGER NOT NULL DEFAULT 0;

-- Who handled a conversation last (kept after release and close) and when it closed.
ALTER TABLE conversations ADD COLUMN handled_by TEXT REFERENCES operators (id);
ALTER TABLE conversations ADD COLUMN handled_by_name TEXT;
ALTER TABLE conversations ADD COLUMN closed_at BIGINT;
-- The inbox row: messages are numbered 1..message_count per conversation.
ALTER TABLE conversations ADD COLUMN message_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN last_message_at BIGINT;
ALTER TABLE conversations ADD COLUMN preview TEXT;
ALTER TABLE conversations ADD COLUMN last_author TEXT;
CREATE INDEX conversations_by_handler ON conversations (handled_by, num) WHERE handled_by IS NOT NULL;
CREATE INDEX conversations_by_visitor ON conversations (visitor_id, num);

ALTER TABLE messages ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
UPDATE messages SET seq = (SELECT COUNT(*) FROM messages m2
                           WHERE m2.conversation_id = messages.conversation_id AND m2.num <= messages.num);
CREATE UNIQUE INDEX messages_by_conversation_seq ON messages (conversation_id, seq);
UPDATE conversations SET
    message_count = (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id),
    last_message_at = (SELECT MAX(created_at) FROM messages m WHERE m.conversation_id = conversations.id),
    preview = (SELECT substr(body, 1, 140) FROM messages m WHERE m.conversation_id = conversations.id ORDER BY num DESC LIMIT 1),
    last_author = (SELECT author_kind FROM messages m WHERE m.conversation_id = conversations.id ORDER BY num DESC LIMIT 1),
    closed_at = CASE WHEN state = 'closed' THEN updated_at END;

-- Who caused an event (JSON: {kind, id, name}); `created_at` is its commit time.
ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT '{"kind":"system","id":null,"name":null}';
CREATE INDEX events_by_conversation ON events (conversation_id, seq);

-- Device sessions: a public id to list and revoke, a name, and the last use (sliding expiry).
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN device TEXT;
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;
UPDATE sessions SET id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-8' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
                    last_used_at = created_at;
CREATE UNIQUE INDEX sessions_by_id ON sessions (id);
