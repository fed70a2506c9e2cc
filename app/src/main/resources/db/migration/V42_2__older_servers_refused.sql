-- Upgrades (docs/upgrading.md): a server older than the database's schema must not write to it.
-- From this migration on, every srg server says on each connection it opens which schema it knows
-- (srg.schema: the newest migration of its jar, e.g. '42.2'), and refuses at start a database whose
-- history holds a newer one. A server from before this migration says nothing and only warned
-- ("Schema has a version that is newer than the latest available migration"), then ran on a schema
-- it did not know. The database refuses it here: its connections are named 'srg/<server>/<run>'
-- (application_name, set by its cluster code since V25_1), and without srg.schema such a connection
-- can neither register (cluster_servers), nor take or renew the lease (cluster_lease), nor write
-- to any other table (srg_fence below on the fenced ones, srg_refuse_pre_upgrade_server on the
-- rest): it follows, says why at every look at the lease, and changes nothing.
-- A server that says a schema older than the database's newest migration (still running while a
-- newer one migrated the database) is refused on cluster_servers and cluster_lease: it cannot stay
-- or become the leader, and exits at the next renewal as a leader that lost its lease does.
CREATE FUNCTION srg_refuse_older_server() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    known  text := current_setting('srg.schema', true);
    newest text;
BEGIN
    SELECT version INTO newest FROM flyway_schema_history WHERE success AND version IS NOT NULL
        ORDER BY string_to_array(version, '.')::int[] DESC LIMIT 1;
    IF known IS NULL OR known = '' THEN
        IF current_setting('application_name') LIKE 'srg/%' THEN
            RAISE EXCEPTION 'srg: this database''s schema is at version %, newer than this srg knows: it was upgraded by a newer srg; start that srg, or restore the database from the backup taken before the upgrade (docs/upgrading.md)', newest
                USING ERRCODE = 'SRG02';
        END IF;
    ELSIF string_to_array(known, '.')::int[] < string_to_array(newest, '.')::int[] THEN
        RAISE EXCEPTION 'srg: this database''s schema is at version %, newer than this srg''s (%): it was upgraded by a newer srg; start that srg, or restore the database from the backup taken before the upgrade (docs/upgrading.md)', newest, known
            USING ERRCODE = 'SRG02';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER older_servers_refused BEFORE INSERT OR UPDATE ON cluster_servers
    FOR EACH STATEMENT EXECUTE FUNCTION srg_refuse_older_server();
CREATE TRIGGER older_servers_refused BEFORE INSERT OR UPDATE ON cluster_lease
    FOR EACH STATEMENT EXECUTE FUNCTION srg_refuse_older_server();

-- The fence (V25_1) as before, and a pre-V42_2 server's connection refused first (a setting's
-- look, no query: the fence runs on every write to instances).
CREATE OR REPLACE FUNCTION srg_fence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    claimed text := current_setting('srg.epoch', true);
    held    bigint;
BEGIN
    IF coalesce(current_setting('srg.schema', true), '') = '' AND current_setting('application_name') LIKE 'srg/%' THEN
        RAISE EXCEPTION 'srg: this database was upgraded by a newer srg; this server is older and may not write to it (docs/upgrading.md)'
            USING ERRCODE = 'SRG02';
    END IF;
    IF claimed IS NULL OR claimed = '' THEN
        RETURN NULL;
    END IF;
    SELECT epoch INTO held FROM cluster_fence WHERE id = 1 FOR SHARE;
    IF held IS DISTINCT FROM claimed::bigint THEN
        RAISE EXCEPTION 'srg: fenced: this server led in epoch %, the lease is at epoch % now', claimed, held
            USING ERRCODE = 'SRG01';
    END IF;
    RETURN NULL;
END $$;

-- Every other table of the schema: a pre-V42_2 server's write is refused there too (a setting's
-- look per statement). Tables made by later migrations are unknown to such a server anyway.
CREATE FUNCTION srg_refuse_pre_upgrade_server() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('srg.schema', true), '') = '' AND current_setting('application_name') LIKE 'srg/%' THEN
        RAISE EXCEPTION 'srg: this database was upgraded by a newer srg; this server is older and may not write to it (docs/upgrading.md)'
            USING ERRCODE = 'SRG02';
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
          AND c.relname NOT IN ('flyway_schema_history', 'cluster_servers', 'cluster_lease')
          AND NOT EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid
                          WHERE g.tgrelid = c.oid AND p.proname = 'srg_fence')
        ORDER BY c.relname
    LOOP
        EXECUTE format('CREATE TRIGGER older_servers_refused BEFORE INSERT OR UPDATE OR DELETE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION srg_refuse_pre_upgrade_server()', t);
    END LOOP;
END $$;
