-- Which data-source key this database's secrets are sealed with (SPEC DI-1): one value sealed by the
-- first server that starts on the database. A server whose key does not open it (a cluster's server
-- given a key of its own, a replaced key file) refuses to start, instead of starting and failing
-- every sync and signed call that needs a stored secret later (DataSourceStore.checkKey).
CREATE TABLE secret_key_check (
    id     smallint PRIMARY KEY CHECK (id = 1),
    sealed bytea    NOT NULL
);
