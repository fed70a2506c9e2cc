-- Several servers on one database (SPEC HA-1, HA-2): one lease row, the servers' heartbeats,
-- requests followers leave for the leader, and the fence on the writes that matter.

-- The lease: exactly one row. Whoever holds a live lease (expires_at in the future, on the
-- database's clock, so the servers' clocks do not matter) is the leader; every takeover adds one
-- to the epoch.
CREATE TABLE cluster_lease (
    id          smallint PRIMARY KEY CHECK (id = 1),
    holder      text,
    epoch       bigint      NOT NULL DEFAULT 0,
    acquired_at timestamptz,
    expires_at  timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO cluster_lease (id) VALUES (1);

-- The epoch writes are fenced against, apart from the lease so that the leader's renewals (an
-- UPDATE of cluster_lease) never wait for its own fenced writes, which share-lock this row; only a
-- takeover updates it, and so waits for the old leader's fenced writes in flight.
CREATE TABLE cluster_fence (
    id    smallint PRIMARY KEY CHECK (id = 1),
    epoch bigint   NOT NULL DEFAULT 0
);
INSERT INTO cluster_fence (id) VALUES (1);

-- Every server says it is alive (GET /cluster lists them).
CREATE TABLE cluster_servers (
    id           text PRIMARY KEY,
    address      text        NOT NULL,
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);

-- What a follower asks of the leader (cancel a started instance, re-read a group's limits): kept
-- until the leader has done it, so a NOTIFY lost in a failover loses nothing.
CREATE TABLE cluster_requests (
    id         bigserial PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('cancel', 'limits')),
    target     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The fence. A leader's connections carry the epoch it leads in (srg.epoch); a write on a fenced
-- table from such a connection first locks the cluster_fence row FOR SHARE and checks the epoch is still
-- the lease's. A server that lost the lease (paused, partitioned) therefore changes nothing there;
-- and because a takeover UPDATEs cluster_fence, it waits for the old leader's writes in flight to end
-- (or kills their sessions), so the new leader reads a state nobody with an old epoch writes to.
-- Connections without srg.epoch (followers serving the API; tools) are not fenced: their writes
-- are the users' own requests, which any server may carry out.
CREATE FUNCTION srg_fence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    claimed text := current_setting('srg.epoch', true);
    held    bigint;
BEGIN
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

CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON instances FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON orders FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON bill_lines FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON metered_instances FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON resource_groups FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON usage_points FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON monitor_watermarks FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON alert_rules FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON alert_events FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
CREATE TRIGGER fence BEFORE INSERT OR UPDATE OR DELETE ON cluster_requests FOR EACH STATEMENT EXECUTE FUNCTION srg_fence();
