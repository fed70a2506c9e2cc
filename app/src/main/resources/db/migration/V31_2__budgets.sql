-- SPEC BEY-3: budgets per workspace or group per calendar month (UTC), in CU-hours or money.
CREATE TABLE budgets (
    id                 text PRIMARY KEY,
    name               text NOT NULL,
    workspace_id       text REFERENCES workspaces (id),
    resource_group_id  text REFERENCES resource_groups (id),
    unit               text NOT NULL CHECK (unit IN ('CU_HOURS', 'MONEY')),
    -- micro-units of the unit: micro-CU-hours or micros of the currency
    amount_micros      bigint NOT NULL CHECK (amount_micros > 0),
    thresholds         integer[] NOT NULL,
    alert_rule_ids     text[] NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CHECK ((workspace_id IS NULL) <> (resource_group_id IS NULL))
);

-- Each threshold once per budget and month: the unique key makes a second notice (a restart, a
-- new leader, two runs at once) insert nothing.
CREATE TABLE budget_events (
    id                 text PRIMARY KEY,
    budget_id          text NOT NULL REFERENCES budgets (id) ON DELETE CASCADE,
    month              text NOT NULL,
    threshold          integer NOT NULL,
    spent_micros       bigint NOT NULL,
    amount_micros      bigint NOT NULL,
    time               timestamptz NOT NULL,
    UNIQUE (budget_id, month, threshold)
);

-- The outbox: one notice per event and alert rule channel, delivered with retries.
CREATE TABLE budget_deliveries (
    event_id           text NOT NULL REFERENCES budget_events (id) ON DELETE CASCADE,
    rule_id            text NOT NULL,
    webhook_url        text NOT NULL,
    payload            text NOT NULL,
    delivery           text NOT NULL CHECK (delivery IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts           integer NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz,
    delivered_at       timestamptz,
    last_error         text,
    PRIMARY KEY (event_id, rule_id)
);
CREATE INDEX budget_deliveries_due ON budget_deliveries (next_attempt_at) WHERE delivery = 'PENDING';
