-- Issue 10: one execution model for every kind of work.
-- * The payload of an instance as its kind took it (a script today; a sync job or a service
--   definition later), as JSON. `script` stays, nullable, for rows written before; reads take
--   coalesce(payload, {"script": script}).
-- * Services (shape SERVICE): restarted when they die; `restarts` counts it and `run_id` is the
--   launch id of the current run (the instance id, then <id>.r1, <id>.r2 ...), written before the
--   launch so that each run starts at most once, also across a crash.
-- * `backend`: the backend the instance was launched on (its group's region's).
-- * `enforcement` (SPEC RT-3): which of cpu, memory, network, dns, image the backend enforced.
-- * CHECK constraints on the status-like columns.
ALTER TABLE instances ALTER COLUMN script DROP NOT NULL;
ALTER TABLE instances ADD COLUMN payload jsonb;
UPDATE instances SET payload = jsonb_build_object('script', script) WHERE payload IS NULL AND script IS NOT NULL;
ALTER TABLE instances ADD COLUMN shape text NOT NULL DEFAULT 'TASK';
ALTER TABLE instances ADD COLUMN restarts integer NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN run_id text;
ALTER TABLE instances ADD COLUMN backend text;
ALTER TABLE instances ADD COLUMN enforcement jsonb;
-- Before this version every instance ran on the local backend: those started are recovered there
-- (a STARTING one that never launched is found not started, and launched at most once).
UPDATE instances SET backend = 'local' WHERE status IN ('STARTING', 'RUNNING');

ALTER TABLE instances ADD CONSTRAINT instances_status_valid
    CHECK (status IN ('QUEUED', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'));
ALTER TABLE instances ADD CONSTRAINT instances_failure_reason_valid
    CHECK (failure_reason IS NULL OR failure_reason IN
           ('NON_ZERO_EXIT', 'OUT_OF_MEMORY', 'TIMEOUT', 'CANCELLED', 'LAUNCH_FAILED', 'LOST'));
ALTER TABLE instances ADD CONSTRAINT instances_usage_type_valid
    CHECK (usage_type IN ('SCHEDULING', 'DATA_INTEGRATION', 'DATA_SERVICE', 'DATA_ANALYSIS', 'CONNECTIVITY_TEST',
                          'METADATA_COLLECTION', 'DEV_ENVIRONMENT', 'MODEL_SERVICE'));
-- kinds are a registry (open-ended), so only their spelling is checked
ALTER TABLE instances ADD CONSTRAINT instances_type_valid CHECK (type ~ '^[A-Z][A-Z0-9_]*$');
ALTER TABLE instances ADD CONSTRAINT instances_shape_valid CHECK (shape IN ('TASK', 'SERVICE'));
ALTER TABLE instances ADD CONSTRAINT instances_restarts_valid CHECK (restarts >= 0);
-- services have no timeout (0)
ALTER TABLE instances ADD CONSTRAINT instances_timeout_valid CHECK (timeout_seconds >= 0);
ALTER TABLE instances ADD CONSTRAINT instances_payload_present CHECK (payload IS NOT NULL OR script IS NOT NULL);
