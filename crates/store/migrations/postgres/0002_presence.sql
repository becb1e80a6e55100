-- Presence across nodes: each node says, about once a second, which operators hold a live
-- stream connection on it (or are within their grace period). A node that stops saying so
-- (it died) stops counting after the grace period.

CREATE TABLE nodes (
    id      TEXT PRIMARY KEY,
    -- When the node last published its connections (unix ms).
    seen_at BIGINT NOT NULL
);

CREATE TABLE node_connections (
    node_id     TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    operator_id TEXT NOT NULL,
    PRIMARY KEY (node_id, operator_id)
);
