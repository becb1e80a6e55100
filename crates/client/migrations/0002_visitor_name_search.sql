-- Search also finds a conversation by the visitor's name (a hit without a message).
CREATE VIRTUAL TABLE conversations_fts USING fts5 (
    visitor_name,
    content = 'conversations',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts (rowid, visitor_name) VALUES (new.rowid, new.visitor_name);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, visitor_name)
        VALUES ('delete', old.rowid, old.visitor_name);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF visitor_name ON conversations
    WHEN old.visitor_name IS NOT new.visitor_name BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, visitor_name)
        VALUES ('delete', old.rowid, old.visitor_name);
    INSERT INTO conversations_fts (rowid, visitor_name) VALUES (new.rowid, new.visitor_name);
END;
