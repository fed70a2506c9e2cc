-- The logs of runs whose output lived elsewhere and is gone there (a Kubernetes Pod srg removed), kept
-- where every server of a cluster reads them, also one on another machine. Bounded as a local task's
-- output is (the first 64 MiB, then a note of how much was dropped).
CREATE TABLE kept_run_logs (
    run_id  text PRIMARY KEY,
    content bytea       NOT NULL,
    kept_at timestamptz NOT NULL DEFAULT now()
);
