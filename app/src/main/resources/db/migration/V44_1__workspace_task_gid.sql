-- Every workspace's tasks share a group id of their own (README "Isolation between tasks"): a task
-- runs as a uid and gid of its own with this gid as its one supplementary group, so a directory
-- owned by the group with mode 2770 (a CSV data source's) is open to that workspace's tasks and
-- closed to every other workspace's. Existing workspaces get theirs here, new ones when created;
-- a gid never changes and is never given to another workspace. The range lies below the tasks' own
-- uids and gids (LocalBackendConfig.DEFAULT_TASK_UID_BASE, 1,900,000,000).
CREATE SEQUENCE workspace_task_gids START 1800000000 MINVALUE 1800000000 MAXVALUE 1899999999 NO CYCLE;
ALTER TABLE workspaces ADD COLUMN task_gid bigint NOT NULL DEFAULT nextval('workspace_task_gids')
    CONSTRAINT workspaces_task_gid_unique UNIQUE;
ALTER SEQUENCE workspace_task_gids OWNED BY workspaces.task_gid;
