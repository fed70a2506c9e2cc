-- The instances of a pair's DataService service that were stopped (an unpublish, a resize) and may not
-- have ended yet: a cancel of a started one is a kill whose exit comes later, RUNNING until then. Kept
-- with the pair's row, which every server locks (FOR UPDATE) around its start or stop decision, so a
-- start on any server of a cluster starts a new service instead of taking the one being killed.
ALTER TABLE ds_services ADD COLUMN stopping text[] NOT NULL DEFAULT '{}';
