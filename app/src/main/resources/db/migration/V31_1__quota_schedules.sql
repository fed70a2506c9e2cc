-- SPEC BEY-2: profiles of quotas and concurrency threshold on cron schedules, one schedule per group.
-- What applies is derived from the profiles and the clock; `applied` only remembers the last
-- switch the scheduler audited (the name of the profile, '' for the group's own settings), so a
-- restart or a leader switch audits no switch twice.
CREATE TABLE quota_schedules (
    resource_group_id      text PRIMARY KEY REFERENCES resource_groups (id),
    time_zone              text NOT NULL,
    profiles               jsonb NOT NULL,
    -- the largest sum of minimums of any profile: a scale-in below it is refused (ADM-2)
    max_minimums_milli_cu  bigint NOT NULL,
    applied                text NOT NULL DEFAULT '',
    updated_at             timestamptz NOT NULL
);
