-- SPEC DI-7: what a sync's launch reads of the same job's earlier runs, each scan on its own entries
-- however many runs the job has had (SyncRuns): the key's last SUCCEEDED instance, the ones that
-- ended without success and without saying so themselves (an exit code other than the worker's 1
-- and 2: killed, timed out, lost, or failed after sending its completion commit), and the ones not
-- ended yet. They replace V41_4's index of every DATA_INTEGRATION instance by key, which a job that
-- failed many times since its last success made a long scan at each launch.
CREATE INDEX instances_sync_succeeded ON instances ((payload->>'syncRunKey'), sequence)
    WHERE type = 'DATA_INTEGRATION' AND status = 'SUCCEEDED';
CREATE INDEX instances_sync_unreported ON instances ((payload->>'syncRunKey'), sequence)
    WHERE type = 'DATA_INTEGRATION' AND status IN ('FAILED', 'CANCELLED', 'TIMED_OUT') AND coalesce(exit_code, -1) NOT IN (1, 2);
CREATE INDEX instances_sync_unsettled ON instances ((payload->>'syncRunKey'))
    WHERE type = 'DATA_INTEGRATION' AND status IN ('STARTING', 'RUNNING');
DROP INDEX instances_sync_run_key;
