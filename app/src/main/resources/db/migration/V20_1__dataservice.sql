-- DataService (SPEC DS-1..6): API groups, APIs with their immutable published versions, apps and
-- their grants, the nonces of signed calls (replay refusal), the call log, and the service that
-- serves a workspace's APIs on a resource group.

CREATE TABLE ds_api_groups (
    id            text PRIMARY KEY,
    workspace_id  text NOT NULL REFERENCES workspaces (id),
    name          text NOT NULL,
    base_path     text NOT NULL UNIQUE,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE ds_apis (
    id                 text PRIMARY KEY,
    api_group_id       text NOT NULL REFERENCES ds_api_groups (id),
    workspace_id       text NOT NULL REFERENCES workspaces (id),
    name               text NOT NULL,
    path               text NOT NULL,
    definition         jsonb NOT NULL,          -- the draft: what the next publish makes a version of
    tested_hash        text,                    -- the draft definition's hash when a test of it last succeeded
    published_version  integer,                 -- what calls are served from; NULL: not callable
    latest_version     integer NOT NULL DEFAULT 0,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    UNIQUE (api_group_id, path)
);

-- SPEC DS-2: a published version never changes; a changed API publishes a new number
CREATE TABLE ds_api_versions (
    api_id        text NOT NULL REFERENCES ds_apis (id),
    version       integer NOT NULL,
    definition    jsonb NOT NULL,
    published_by  text NOT NULL,
    published_at  timestamptz NOT NULL,
    PRIMARY KEY (api_id, version)
);

CREATE TABLE ds_apps (
    id                    text PRIMARY KEY,
    name                  text NOT NULL,
    app_key               text NOT NULL UNIQUE,
    app_code_sha256       text NOT NULL UNIQUE,   -- the AppCode is a bearer secret: only its hash is kept
    app_secret_encrypted  bytea NOT NULL,         -- needed to check signatures: encrypted (SecretBox)
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL
);

CREATE TABLE ds_grants (
    app_id      text NOT NULL REFERENCES ds_apps (id) ON DELETE CASCADE,
    api_id      text NOT NULL REFERENCES ds_apis (id),
    granted_by  text NOT NULL,
    granted_at  timestamptz NOT NULL,
    PRIMARY KEY (app_id, api_id)
);

-- SPEC DS-3: a nonce is accepted once per app within the timestamp window
CREATE TABLE ds_nonces (
    app_key  text NOT NULL,
    nonce    text NOT NULL,
    seen_at  timestamptz NOT NULL,
    PRIMARY KEY (app_key, nonce)
);
CREATE INDEX ds_nonces_seen ON ds_nonces (seen_at);

-- SPEC DS-6: every call
CREATE TABLE ds_calls (
    id              bigserial PRIMARY KEY,
    api_id          text NOT NULL,
    version         integer,
    app_id          text,
    status          integer NOT NULL,
    error_code      text,
    latency_millis  double precision NOT NULL,
    row_count       integer NOT NULL,
    called_at       timestamptz NOT NULL
);
CREATE INDEX ds_calls_api ON ds_calls (api_id, id DESC);

-- SPEC DS-5: the DATA_SERVICE instance serving a workspace's APIs on a group
CREATE TABLE ds_services (
    workspace_id       text NOT NULL REFERENCES workspaces (id),
    resource_group_id  text NOT NULL REFERENCES resource_groups (id),
    milli_cu           bigint NOT NULL,
    instance_id        text,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, resource_group_id)
);
