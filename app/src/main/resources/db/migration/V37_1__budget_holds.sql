-- SPEC BEY-3: a budget may hold its scope's new tasks once its month is spent (opt-in). The month a
-- hold was recorded in is stored; it applies only while the clock is in that month, so a new month
-- releases the tasks even before the budgets' job has run.
ALTER TABLE budgets ADD COLUMN hold_new_tasks boolean NOT NULL DEFAULT false;
ALTER TABLE budgets ADD COLUMN holding_month text;
