-- Task instances: the write-ahead record of every task (SPEC ADM-*, MON-2, MON-3).
-- A row moves QUEUED -> STARTING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED | TIMED_OUT by
-- compare-and-set updates; STARTING is committed before the process is launched.

CREATE TABLE instances (
    id                 text PRIMARY KEY,
    sequence           bigserial NOT NULL UNIQUE,    -- arrival order
    workspace_id       text NOT NULL REFERENCES workspaces (id),
    resource_group_id  text NOT NULL REFERENCES resource_groups (id),
    name               text,
    type               text NOT NULL,
    usage_type         text NOT NULL,
    script             text NOT NULL,
    milli_cu           bigint NOT NULL,
    priority           integer NOT NULL,
    timeout_seconds    integer NOT NULL,
    image_id           text,
    status             text NOT NULL,
    submitted_by       text NOT NULL,
    queued_at          timestamptz NOT NULL,
    started_at         timestamptz,
    finished_at        timestamptz,
    exit_code          integer,
    failure_reason     text,
    cpu_seconds        double precision,
    peak_memory_bytes  bigint,
    limits_enforced    boolean,
    limits_note        text,
    warnings           text
);
CREATE INDEX instances_group_status ON instances (resource_group_id, status);
CREATE INDEX instances_active ON instances (status) WHERE status IN ('QUEUED', 'STARTING', 'RUNNING');
