-- Lifecycle, billing and time (SPEC RG-3..RG-9): transitions that take time, the idle window of
-- the 7-day freeze, orders, hourly pay-as-you-go bill lines, and the simulated clock's offset.
-- Money is integer micro-units of the configured currency (1.00 = 1000000).

ALTER TABLE resource_groups
    ADD COLUMN target_spec_milli_cu  bigint,       -- SCALING / CONVERTING: the spec it moves to
    ADD COLUMN transition_ends_at    timestamptz,  -- SCALING / CONVERTING: when it takes effect
    ADD COLUMN active_since          timestamptz,  -- start of the RG-7 idle window (provisioned, enabled)
    ADD COLUMN payg_until            timestamptz,  -- a converted group's usage is metered until then
    ADD COLUMN frozen_at             timestamptz,
    ADD COLUMN released_at           timestamptz;

CREATE TABLE orders (
    id                 text PRIMARY KEY,
    resource_group_id  text NOT NULL REFERENCES resource_groups (id),
    type               text NOT NULL,      -- CREATE, SCALE_OUT, SCALE_IN, RENEW, AUTO_RENEW, CONVERT
    billing_mode       text NOT NULL,
    spec_milli_cu      bigint,             -- the spec the order is for
    delta_milli_cu     bigint,             -- scale: the change bought (negative for scale-in)
    cycle_unit         text,
    cycle_count        integer,
    period_start       timestamptz,
    period_end         timestamptz,
    amount_micros      bigint NOT NULL,
    currency           text NOT NULL,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL,
    detail             text
);
CREATE INDEX orders_group ON orders (resource_group_id, id);

-- One line per pay-as-you-go group per hour: milli-CU x milliseconds run in that hour.
CREATE TABLE bill_lines (
    id                        text PRIMARY KEY,    -- sorts by hour, then group
    resource_group_id         text NOT NULL REFERENCES resource_groups (id),
    hour_start                timestamptz NOT NULL,
    cu_milli_millis           bigint NOT NULL,
    price_micros_per_cu_hour  bigint NOT NULL,
    amount_micros             bigint NOT NULL,
    currency                  text NOT NULL,
    updated_at                timestamptz NOT NULL,
    UNIQUE (resource_group_id, hour_start)
);
CREATE INDEX bill_lines_hour ON bill_lines (hour_start);

-- How far each instance's run has been metered into bill lines (exactly once, in one transaction
-- with the lines). complete: nothing more will ever be metered for it.
CREATE TABLE metered_instances (
    instance_id    text PRIMARY KEY REFERENCES instances (id),
    metered_until  timestamptz NOT NULL,
    complete       boolean NOT NULL
);

-- srg server --simulated-clock: how far the clock was moved, so that a restart keeps the time.
CREATE TABLE simulated_clock (
    id             integer PRIMARY KEY CHECK (id = 1),
    offset_millis  bigint NOT NULL
);
