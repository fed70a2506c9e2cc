-- SPEC BEY-1: start estimates and dry runs read the recent successful runs of a task name in a workspace
CREATE INDEX instances_task_history ON instances (workspace_id, name, finished_at DESC) WHERE status = 'SUCCEEDED';

-- SPEC BEY-6: a pay-as-you-go group that leaves FROZEN by itself when a task is submitted
ALTER TABLE resource_groups ADD COLUMN resume_on_demand boolean NOT NULL DEFAULT false;
