-- SPEC DI-7: a sync's launch lists the same job's instances that ended without success since its
-- last success (SyncRuns.unreported); the job's run key is in the payload (syncRunKey, set at
-- submission). Only DATA_INTEGRATION instances are indexed.
CREATE INDEX instances_sync_run_key ON instances ((payload->>'syncRunKey'), sequence) WHERE type = 'DATA_INTEGRATION';
