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
