-- FAIR_SHARE's settings (docs/rules.md#queue-policy): the half-life of the workspaces' shares, per
-- group (1 minute .. 30 days, 1 hour as before), and per workspace of a group its weight (0 .. 100;
-- a workspace without a row weighs 1). Both kept under either policy, so a switch keeps them.
ALTER TABLE resource_groups ADD COLUMN share_half_life_seconds integer NOT NULL DEFAULT 3600
    CHECK (share_half_life_seconds BETWEEN 60 AND 2592000);

CREATE TABLE workspace_share_weights (
    resource_group_id  text NOT NULL REFERENCES resource_groups (id) ON DELETE CASCADE,
    workspace_id       text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    weight             integer NOT NULL CHECK (weight BETWEEN 0 AND 100),
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (resource_group_id, workspace_id)
);
