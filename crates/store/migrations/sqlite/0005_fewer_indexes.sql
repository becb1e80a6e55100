-- Fewer B-trees written per message (the single writer's cost is mostly B-tree inserts).

-- `seq` becomes the rowid: `BIGINT PRIMARY KEY` kept the rowid and a second index on seq,
-- so every event was written twice. Same columns, same values.
CREATE TABLE events_by_seq (
    seq             INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    op_audience     TEXT,
    visitor_id      TEXT,
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    actor           TEXT NOT NULL DEFAULT '{"kind":"system","id":null,"name":null}'
);
INSERT INTO events_by_seq (seq, conversation_id, op_audience, visitor_id, payload, created_at, actor)
    SELECT seq, conversation_id, op_audience, visitor_id, payload, created_at, actor FROM events;
DROP TABLE events;
ALTER TABLE events_by_seq RENAME TO events;
CREATE INDEX events_by_operator ON events (op_audience, seq) WHERE op_audience IS NOT NULL;
CREATE INDEX events_by_visitor ON events (visitor_id, seq) WHERE visitor_id IS NOT NULL;
-- events_by_conversation is not recreated: no SQLite query reads events by conversation.

-- A conversation's messages are read in `seq` order (messages_by_conversation_seq); `seq`
-- grows with `num` inside a conversation, so the index by (conversation_id, num) is a copy.
DROP INDEX messages_by_conversation;
