package dev.srg.datasource;

import static java.util.Objects.requireNonNull;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Reading data sources without the API's rules: for the sync kind, which resolves the names a
 * job gives (in the task's workspace, checked by the instance's rules) and, at launch, decrypts
 * the passwords into the task's job file (SPEC DI-1).
 */
public final class DataSourceStore {
    private final Jdbi jdbi;
    private final SecretBox secrets;

    public DataSourceStore(Jdbi jdbi, SecretBox secrets) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
    }

    SecretBox secrets() {
        return secrets;
    }

    /** What a key opens or does not, checked at start (SPEC DI-1). */
    public enum KeyCheck {
        /** the key seals this database's secrets (or is the first: there were none) */
        MATCHES,
        /** the key did not open them, and {@code reset} made it the database's key */
        RESET
    }

    private static final String CHECK_BOUND_TO = "srg-secret-key-check";

    /**
     * Refuses a key that is not the one this database's secrets are sealed with: a server of a
     * cluster given a key of its own, or a replaced key file. Either would start and then fail every
     * sync and signed DataService call that needs a stored secret, and seal new ones that the other
     * servers cannot open. The database keeps one value sealed by the first server's key; on a
     * database from before that value, the stored secrets themselves are tried.
     *
     * @param reset the key is lost: make this one the database's key (the secrets sealed with the old
     *     one stay unreadable until they are set again)
     * @throws IllegalStateException the key does not open the database's secrets, and not {@code reset}
     */
    public KeyCheck checkKey(String keyFile, boolean reset) {
        return jdbi.inTransaction(h -> {
            // one server at a time: two first servers with different keys must not both pass
            h.execute("LOCK TABLE secret_key_check IN EXCLUSIVE MODE");
            byte[] check = h.createQuery("SELECT sealed FROM secret_key_check WHERE id = 1").mapTo(byte[].class).findOne().orElse(null);
            if (check != null && opens(check, CHECK_BOUND_TO)) {
                return KeyCheck.MATCHES;   // the usual start: one decrypt, nothing written
            }
            int unreadable = 0;
            if (check != null) {
                unreadable = 1;
            } else {
                unreadable += h.createQuery("SELECT id, password_encrypted FROM data_sources WHERE password_encrypted IS NOT NULL")
                        .map((rs, ctx) -> opens(rs.getBytes(2), rs.getString(1)) ? 0 : 1).list().stream().mapToInt(Integer::intValue).sum();
                unreadable += h.createQuery("SELECT id, app_secret_encrypted FROM ds_apps")
                        .map((rs, ctx) -> opens(rs.getBytes(2), rs.getString(1)) ? 0 : 1).list().stream().mapToInt(Integer::intValue).sum();
            }
            if (unreadable > 0 && !reset) {
                throw new IllegalStateException("the data-source key " + keyFile + " is not the key this database's secrets are"
                        + " sealed with: the servers on one database need the same key (copy the first server's DIR/datasource.key"
                        + " and give it with --datasource-key-file); if that key is lost, start once with --datasource-key-reset"
                        + " (the stored passwords and app secrets must then be set again)");
            }
            h.createUpdate("INSERT INTO secret_key_check (id, sealed) VALUES (1, :sealed) ON CONFLICT (id) DO UPDATE SET sealed = :sealed")
                    .bind("sealed", secrets.encrypt(CHECK_BOUND_TO, CHECK_BOUND_TO)).execute();
            return unreadable > 0 ? KeyCheck.RESET : KeyCheck.MATCHES;
        });
    }

    private boolean opens(byte[] sealed, String boundTo) {
        try {
            secrets.decrypt(sealed, boundTo);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** A data source of a workspace by name (what a sync job names), if there is one. */
    public Optional<DataSourceInfo> findByName(String workspaceId, String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM data_sources WHERE workspace_id = :ws AND name = :name")
                .bind("ws", workspaceId).bind("name", name).map((rs, ctx) -> info(rs)).findOne());
    }

    public Optional<DataSourceInfo> find(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM data_sources WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> info(rs)).findOne());
    }

    /** The data source with its password decrypted: for the launch of a sync only (never for an answer). */
    public Optional<DataSourceConnection> connection(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM data_sources WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> {
                    byte[] sealed = rs.getBytes("password_encrypted");
                    return new DataSourceConnection(rs.getString("id"), rs.getString("name"),
                            DataSourceType.valueOf(rs.getString("type")), rs.getString("host"),
                            (Integer) rs.getObject("port"), rs.getString("database_name"), rs.getString("username"),
                            sealed == null ? null : secrets.decrypt(sealed, rs.getString("id")), rs.getString("path"));
                }).findOne());
    }

    static DataSourceInfo info(ResultSet rs) throws SQLException {
        return new DataSourceInfo(rs.getString("id"), rs.getString("workspace_id"), rs.getString("name"),
                DataSourceType.valueOf(rs.getString("type")), rs.getString("host"), (Integer) rs.getObject("port"),
                rs.getString("database_name"), rs.getString("username"), rs.getBytes("password_encrypted") != null,
                rs.getString("path"), rs.getString("created_by"), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }
}
