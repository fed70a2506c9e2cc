-- Monitoring (SPEC MON-1, MON-2, MON-4): the usage history of every group, and alert rules with
-- their transitions, which double as the outbox of webhook notifications.

-- One row per group, usage type ('ALL' for the whole group) and period: per-minute points
-- (step_seconds 60) from the sampler, hourly points (3600) rolled up from them (mean of means,
-- max of maxes) or written directly when a simulated clock jumps far. Means are in milli-CU.
CREATE TABLE usage_points (
    resource_group_id  text NOT NULL,
    usage_type         text NOT NULL,
    step_seconds       integer NOT NULL CHECK (step_seconds IN (60, 3600)),
    time               timestamptz NOT NULL,
    samples            integer NOT NULL,
    capacity_milli_cu  bigint NOT NULL,
    used_mean_milli_cu double precision NOT NULL,
    used_max_milli_cu  bigint NOT NULL,
    running_mean       double precision NOT NULL,
    running_max        integer NOT NULL,
    queued_mean        double precision NOT NULL,
    queued_max         integer NOT NULL,
    admitted           integer NOT NULL,
    wait_sum_millis    bigint NOT NULL,
    wait_max_millis    bigint NOT NULL,
    oldest_wait_millis bigint NOT NULL,
    PRIMARY KEY (resource_group_id, step_seconds, usage_type, time)
);
CREATE INDEX usage_points_step_time ON usage_points (step_seconds, time);

-- Progress marks of background jobs (the hour up to which minutes are rolled up).
CREATE TABLE monitor_watermarks (
    name   text PRIMARY KEY,
    value  timestamptz NOT NULL
);

CREATE TABLE alert_rules (
    id                 text PRIMARY KEY,
    name               text,
    resource_group_id  text NOT NULL REFERENCES resource_groups (id),
    metric             text NOT NULL,
    comparator         text NOT NULL,
    threshold          double precision NOT NULL,
    for_seconds        integer NOT NULL,
    webhook_url        text NOT NULL,
    state              text NOT NULL,
    state_since        timestamptz NOT NULL,
    pending_since      timestamptz,
    last_value         double precision,
    last_evaluated_at  timestamptz,
    transitions        integer NOT NULL DEFAULT 0,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL
);
CREATE INDEX alert_rules_group ON alert_rules (resource_group_id);

-- Every state transition of a rule (its history); FIRING and RESOLVED ones carry a webhook
-- notification delivered from here (the outbox): one row per transition, so one notification.
CREATE TABLE alert_events (
    id                 text PRIMARY KEY,
    rule_id            text NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    sequence           integer NOT NULL,
    from_state         text NOT NULL,
    to_state           text NOT NULL,
    value              double precision NOT NULL,
    threshold          double precision NOT NULL,
    time               timestamptz NOT NULL,
    payload            text,
    delivery           text NOT NULL,          -- NONE, PENDING, DELIVERED, FAILED
    attempts           integer NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz,
    delivered_at       timestamptz,
    last_error         text,
    UNIQUE (rule_id, sequence)
);
CREATE INDEX alert_events_due ON alert_events (next_attempt_at) WHERE delivery = 'PENDING';
