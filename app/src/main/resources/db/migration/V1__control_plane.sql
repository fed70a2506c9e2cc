-- Control plane: access, audit, idempotency, networks, resource groups, workspaces.
-- CU amounts are integer milli-CU (1 CU = 1000).

CREATE TABLE users (
    id            text PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    policies      text NOT NULL,           -- comma-separated policy names
    password_hash text,                    -- PBKDF2, for the console sign-in
    created_at    timestamptz NOT NULL
);

CREATE TABLE tokens (
    id          text PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users (id),
    token_hash  text NOT NULL UNIQUE,      -- SHA-256 of the token; the token itself is never stored
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE TABLE service_linked_role (
    name        text PRIMARY KEY,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE audit_events (
    id           bigserial PRIMARY KEY,
    time         timestamptz NOT NULL,
    actor        text NOT NULL,
    action       text NOT NULL,
    resource_id  text,
    result       text NOT NULL,
    detail       text
);
CREATE INDEX audit_events_time ON audit_events (time);

CREATE TABLE idempotency_keys (
    actor_id      text NOT NULL,
    scope         text NOT NULL,
    client_token  text NOT NULL,
    request_hash  text NOT NULL,
    resource_id   text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (actor_id, scope, client_token)
);

CREATE TABLE vpcs (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    region_id   text NOT NULL,
    cidr        text NOT NULL,
    nat_eip     text,
    created_at  timestamptz NOT NULL
);

CREATE TABLE vswitches (
    id          text PRIMARY KEY,
    vpc_id      text NOT NULL REFERENCES vpcs (id) ON DELETE CASCADE,
    name        text NOT NULL,
    zone_id     text NOT NULL,
    cidr        text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX vswitches_vpc ON vswitches (vpc_id);

CREATE TABLE vpc_routes (
    id                text PRIMARY KEY,
    vpc_id            text NOT NULL REFERENCES vpcs (id) ON DELETE CASCADE,
    destination_cidr  text NOT NULL,
    via               text NOT NULL,
    created_at        timestamptz NOT NULL
);

CREATE TABLE resource_groups (
    id                      text PRIMARY KEY,
    name                    text NOT NULL,
    remark                  text,
    region_id               text NOT NULL,
    zone_id                 text NOT NULL,
    billing_mode            text NOT NULL,
    spec_milli_cu           bigint,
    max_milli_cu            bigint,
    cycle_unit              text,
    cycle_count             integer,
    auto_renew              boolean NOT NULL DEFAULT false,
    status                  text NOT NULL,
    scheduling_max_running  integer NOT NULL DEFAULT 50,
    created_by              text NOT NULL,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    expires_at              timestamptz
);
CREATE INDEX resource_groups_status ON resource_groups (status);

CREATE TABLE resource_group_networks (
    id                 text PRIMARY KEY,
    resource_group_id  text NOT NULL REFERENCES resource_groups (id),
    vpc_id             text NOT NULL REFERENCES vpcs (id),
    vswitch_id         text NOT NULL REFERENCES vswitches (id),
    data_service       boolean NOT NULL,   -- the first binding of a subscription group (NET-6)
    created_at         timestamptz NOT NULL,
    UNIQUE (resource_group_id, vpc_id)
);

CREATE TABLE resource_group_quotas (
    resource_group_id  text NOT NULL REFERENCES resource_groups (id),
    usage_type         text NOT NULL,
    min_milli_cu       bigint,
    max_milli_cu       bigint,
    PRIMARY KEY (resource_group_id, usage_type)
);

CREATE TABLE workspaces (
    id                          text PRIMARY KEY,
    name                        text NOT NULL,
    region_id                   text NOT NULL,
    default_resource_group_id   text REFERENCES resource_groups (id),
    created_by                  text NOT NULL,
    created_at                  timestamptz NOT NULL
);

CREATE TABLE workspace_members (
    workspace_id  text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       text NOT NULL REFERENCES users (id),
    role          text NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE workspace_resource_groups (
    workspace_id       text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    resource_group_id  text NOT NULL REFERENCES resource_groups (id),
    associated_at      timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, resource_group_id)
);
CREATE INDEX workspace_resource_groups_rg ON workspace_resource_groups (resource_group_id);
