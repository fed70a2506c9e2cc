-- A group's queue policy (docs/rules.md#queue-policy): ARRIVAL is DESIGN.md's order (priority,
-- then arrival) and every existing group's; FAIR_SHARE orders the tasks of one priority by their
-- workspace's share of the group, rebuilt at start from the instances' runs below.
ALTER TABLE resource_groups ADD COLUMN queue_policy text NOT NULL DEFAULT 'ARRIVAL'
    CHECK (queue_policy IN ('ARRIVAL', 'FAIR_SHARE'));

-- The shares are rebuilt from the runs that ended in the last hours (and the running ones): one
-- range of this index per group, not every instance the group ever ran.
CREATE INDEX instances_group_finished ON instances (resource_group_id, finished_at) WHERE started_at IS NOT NULL;
