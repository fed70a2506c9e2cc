-- A task whose home went over its disk limit (the local backend: its supervisor measures the home
-- every 2 s and kills the task over it, as the kubelet evicts a Pod over its ephemeral storage) fails
-- DISK_LIMIT, as one over its memory fails OUT_OF_MEMORY (docs/benchmarks.md, eighteenth round, disk23).
ALTER TABLE instances DROP CONSTRAINT instances_failure_reason_valid;
ALTER TABLE instances ADD CONSTRAINT instances_failure_reason_valid
    CHECK (failure_reason IS NULL OR failure_reason IN
           ('NON_ZERO_EXIT', 'OUT_OF_MEMORY', 'DISK_LIMIT', 'TIMEOUT', 'CANCELLED', 'LAUNCH_FAILED', 'LOST'));
