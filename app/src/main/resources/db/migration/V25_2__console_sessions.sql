-- Console sign-in sessions in the database (issue 16): any server of a cluster knows a session,
-- so a browser keeps it when the load balancer sends it elsewhere, and a restart keeps it too.
-- Only hashes of what could be replayed: the cookie's value and the bearer token it signed in with.
CREATE TABLE console_sessions (
    id_hash      text PRIMARY KEY,
    user_id      text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   text,
    csrf         text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen_at);
