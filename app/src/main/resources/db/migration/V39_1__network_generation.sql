-- The generation of what a group's network context is made of (issue 17): each server keeps the
-- contexts of its launches in memory and checks this one number per launch instead of reading them
-- again. Every statement that changes a table of the context moves it on, whichever server (or
-- session) makes the change, so a cluster's leader sees a follower's change at its next launch.
--
-- A sequence, so that writers never wait for each other; but its value moves before the writer
-- commits, so a reader could read the new number with the old rows. Writers therefore hold a shared
-- advisory lock until they commit, and a reader keeps what it read only when it could take that lock
-- exclusively (it only tries: it never waits, and it never makes a writer wait longer than its read).
CREATE SEQUENCE network_generation;
SELECT setval('network_generation', 1, true);

CREATE FUNCTION srg_network_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('srg-network-generation'));
    PERFORM nextval('network_generation');
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['vpcs', 'vswitches', 'vpc_routes', 'resource_group_networks',
                             'private_zones', 'private_zone_vpcs', 'private_zone_records'] LOOP
        EXECUTE format('CREATE TRIGGER network_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                            FOR EACH STATEMENT EXECUTE FUNCTION srg_network_changed()', t);
    END LOOP;
END $$;
