-- Issue 19: the audit log says what was done in words (the API operation's summary, the console
-- form's name) beside the stable request line, which stays what GET /audit-events calls `action`.
-- Older rows keep NULL here; they are read with words made from their action text.
ALTER TABLE audit_events ADD COLUMN action_name text;
