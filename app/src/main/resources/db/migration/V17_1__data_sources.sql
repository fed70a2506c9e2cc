-- Data sources (SPEC DI-1): named connections of a workspace. The password is kept only as
-- AES-GCM ciphertext (nonce || ciphertext+tag) under the server's data-source key; never in clear.
CREATE TABLE data_sources (
    id                 text PRIMARY KEY,
    workspace_id       text NOT NULL REFERENCES workspaces (id),
    name               text NOT NULL,
    type               text NOT NULL CHECK (type IN ('POSTGRESQL', 'MYSQL', 'CSV')),
    host               text,
    port               integer CHECK (port IS NULL OR port BETWEEN 1 AND 65535),
    database_name      text,
    username           text,
    password_encrypted bytea,
    path               text,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    UNIQUE (workspace_id, name)
);
