-- Sales work done on this device that the server has not confirmed yet (B2): an edit of a
-- conversation's details, and leads or deals to create. Like outbox messages, nothing here
-- is dropped unless the operator discards it; a refusal is kept as `failed` with the reason.
-- Actions go out in `pk` order: a lead created between two edits carries the first edit.
CREATE TABLE sales_outbox (
    pk INTEGER PRIMARY KEY,          -- queue order
    id TEXT NOT NULL UNIQUE,         -- a lead's or deal's idempotency key; for an edit, its own id
    conversation_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('details', 'lead', 'deal')),
    payload TEXT NOT NULL,           -- UpdateDetailsRequest or CreateResultRequest JSON
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'failed')),
    error_code TEXT,
    error_message TEXT,
    queued_at INTEGER NOT NULL
);
CREATE INDEX sales_outbox_by_conversation ON sales_outbox (conversation_id, pk);
