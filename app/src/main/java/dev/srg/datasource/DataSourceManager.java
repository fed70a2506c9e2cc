package dev.srg.datasource;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.error.Names;
import dev.srg.error.SrgException;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import dev.srg.workspace.WorkspaceManager;
import dev.srg.workspace.WorkspaceRole;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * Data sources of workspaces (SPEC DI-1). Every member of the workspace reads them (and names
 * them in sync tasks); its ADMINs and DEVELOPERs (and platform administrators) create, change and
 * delete them — the roles that may write tasks may also say where those tasks read and write.
 * The password is encrypted with the {@link SecretBox} before it reaches the store and is never
 * returned; changes are audited by the API edge, which never sees the password in a log line.
 */
public final class DataSourceManager {
    /** Host names and IP literals only: what goes into a JDBC URL must not carry parameters. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.:-]{0,252}");
    private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_$-]{0,62}");
    private static final int MAX_PASSWORD = 1024;

    private final Jdbi jdbi;
    private final Clock clock;
    private final WorkspaceManager workspaces;
    private final SecretBox secrets;
    private final DataSourceStore store;

    public DataSourceManager(Jdbi jdbi, Clock clock, WorkspaceManager workspaces, DataSourceStore store) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.workspaces = requireNonNull(workspaces, "workspaces is null");
        this.store = requireNonNull(store, "store is null");
        this.secrets = store.secrets();
    }

    public record CreateRequest(String name, String workspaceId, DataSourceType type, String host, Integer port,
                                String database, String user, String password, String path, String clientToken) {
        @Override
        public String toString() {
            return "CreateRequest[" + name + " " + workspaceId + " " + type + "]"; // never the password
        }
    }

    /** {@code PATCH}: what is given changes; {@code password: ""} removes the password. */
    public record UpdateRequest(String name, String host, Integer port, String database, String user, String password,
                                String path) {
        @Override
        public String toString() {
            return "UpdateRequest[" + name + "]"; // never the password
        }
    }

    public DataSourceInfo create(Principal caller, CreateRequest r) {
        if (r.workspaceId() == null) {
            throw SrgException.invalid("workspaceId", "MissingParameter", "workspaceId is required");
        }
        requireEditor(caller, r.workspaceId());
        String name = requireName(r.name());
        if (r.type() == null) {
            throw SrgException.invalid("type", "MissingParameter", "type is required: POSTGRESQL, MYSQL or CSV");
        }
        Fields f = check(r.type(), r.host(), r.port(), r.database(), r.user(), r.password(), r.path(), true);
        // a repeat is compared on the password too, through a MAC under the data-source key: what is stored beside the
        // token (a hash of the request) cannot be guessed back to the password without the key
        String request = String.join("|", r.workspaceId(), name, r.type().name(), String.valueOf(f.host()), String.valueOf(f.port()),
                String.valueOf(f.database()), String.valueOf(f.user()), String.valueOf(f.path()), passwordMac(f.password()));
        String id;
        try {
            id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "data-source", r.clientToken(), request, clock::instant, h -> {
                Instant now = clock.instant();
                String newId = Ids.next("ds", now.toEpochMilli());
                byte[] sealed = f.password() == null || f.password().isEmpty() ? null : secrets.encrypt(f.password(), newId);
                h.createUpdate("""
                    INSERT INTO data_sources (id, workspace_id, name, type, host, port, database_name, username,
                        password_encrypted, path, created_by, created_at, updated_at)
                    VALUES (:id, :ws, :name, :type, :host, :port, :db, :user, :pw, :path, :by, :now, :now)""")
                    .bind("id", newId).bind("ws", r.workspaceId()).bind("name", name).bind("type", r.type().name())
                    .bind("host", f.host()).bind("port", f.port()).bind("db", f.database()).bind("user", f.user())
                    .bind("pw", sealed).bind("path", f.path()).bind("by", caller.userId()).bind("now", now).execute();
                return newId;
            });
        } catch (UnableToExecuteStatementException e) {
            throw nameTaken(e, name, r.workspaceId());
        }
        String created = id;
        return store.find(created).orElseThrow(() -> SrgException.notFound("DataSource", created)); // a repeat after a delete
    }

    private String passwordMac(String password) {
        return password == null || password.isEmpty() ? "" : HexFormat.of().formatHex(secrets.derive("client-token\0" + password));
    }

    /** A workspace's data sources; without {@code workspaceId}, those of every workspace the caller is a member of. */
    public Page<DataSourceInfo> list(Principal caller, String workspaceId, PageRequest page) {
        String ws = workspaceId == null || workspaceId.isBlank() ? null : workspaceId;
        if (ws != null) {
            requireMember(caller, ws);
        }
        boolean all = ws != null || caller.isAdministrator();
        return jdbi.withHandle(h -> page.page(h.createQuery("""
                        SELECT * FROM data_sources
                        WHERE (CAST(:ws AS text) IS NULL OR workspace_id = :ws)
                          AND (:all OR workspace_id IN (SELECT workspace_id FROM workspace_members WHERE user_id = :user))
                          AND id > :after
                        ORDER BY id LIMIT :limit""")
                .bind("ws", ws).bind("all", all).bind("user", caller.userId())
                .bind("after", page.afterId()).bind("limit", page.limit())
                .map((rs, ctx) -> DataSourceStore.info(rs)).list(), DataSourceInfo::id));
    }

    public DataSourceInfo get(Principal caller, String id) {
        DataSourceInfo ds = store.find(id).orElseThrow(() -> SrgException.notFound("DataSource", id));
        try {
            requireMember(caller, ds.workspaceId());
        } catch (SrgException e) {
            throw SrgException.notFound("DataSource", id); // not a member: as if it did not exist
        }
        return ds;
    }

    public DataSourceInfo update(Principal caller, String id, UpdateRequest r) {
        DataSourceInfo ds = get(caller, id);
        requireEditor(caller, ds.workspaceId());
        String name = r.name() == null ? ds.name() : requireName(r.name());
        Fields f = check(ds.type(), r.host() == null ? ds.host() : r.host(), r.port() == null ? ds.port() : r.port(),
                r.database() == null ? ds.database() : r.database(), r.user() == null ? ds.user() : r.user(),
                r.password(), r.path() == null ? ds.path() : r.path(), false);
        boolean passwordChanges = r.password() != null;
        byte[] sealed = f.password() == null || f.password().isEmpty() ? null : secrets.encrypt(f.password(), id);
        try {
            jdbi.useHandle(h -> h.createUpdate("""
                    UPDATE data_sources SET name = :name, host = :host, port = :port, database_name = :db, username = :user,
                        path = :path, updated_at = :now,
                        password_encrypted = CASE WHEN :pwChanges THEN :pw ELSE password_encrypted END
                    WHERE id = :id""")
                    .bind("id", id).bind("name", name).bind("host", f.host()).bind("port", f.port()).bind("db", f.database())
                    .bind("user", f.user()).bind("path", f.path()).bind("now", clock.instant())
                    .bind("pwChanges", passwordChanges).bind("pw", sealed).execute());
        } catch (UnableToExecuteStatementException e) {
            throw nameTaken(e, name, ds.workspaceId());
        }
        return store.find(id).orElseThrow();
    }

    public void delete(Principal caller, String id) {
        DataSourceInfo ds = get(caller, id);
        requireEditor(caller, ds.workspaceId());
        // a concurrent delete of the same data source took it between the read and here: 404, as one after the other
        if (jdbi.withHandle(h -> h.createUpdate("DELETE FROM data_sources WHERE id = :id").bind("id", id).execute()) == 0) {
            throw SrgException.notFound("DataSource", id);
        }
    }

    /** A data source by id, whoever asks (for other features; the API goes through {@link #get}). */
    public Optional<DataSourceInfo> find(String id) {
        return store.find(id);
    }

    private record Fields(String host, Integer port, String database, String user, String password, String path) {}

    private static Fields check(DataSourceType type, String host, Integer port, String database, String user, String password,
                                String path, boolean creating) {
        if (password != null && (password.length() > MAX_PASSWORD || password.indexOf('\0') >= 0)) {
            throw SrgException.invalid("password", "InvalidParameter.Password", "password must be at most " + MAX_PASSWORD
                    + " characters without NUL");
        }
        if (type == DataSourceType.CSV) {
            for (String[] f : new String[][] {{"host", host}, {"database", database}, {"user", user}, {"password", password}}) {
                if (f[1] != null && (creating || !f[0].equals("password"))) {
                    throw SrgException.invalid(f[0], "InvalidParameter.DataSource." + capitalized(f[0]),
                            "a CSV data source is a directory (path); it takes no " + f[0]);
                }
            }
            if (port != null) {
                throw SrgException.invalid("port", "InvalidParameter.DataSource.Port", "a CSV data source takes no port");
            }
            if (path == null || path.isBlank()) {
                throw SrgException.invalid("path", "MissingParameter", "path (an absolute directory) is required for a CSV data source");
            }
            if (!path.startsWith("/") || path.contains("/../") || path.endsWith("/..") || path.indexOf('\0') >= 0
                    || path.length() > 1024) {
                throw SrgException.invalid("path", "InvalidParameter.DataSource.Path",
                        "path must be an absolute directory without '..', got '" + path + "'");
            }
            return new Fields(null, null, null, null, null, path);
        }
        if (path != null) {
            throw SrgException.invalid("path", "InvalidParameter.DataSource.Path", "a " + type + " data source takes no path");
        }
        if (host == null || host.isBlank()) {
            throw SrgException.invalid("host", "MissingParameter", "host is required for a " + type + " data source");
        }
        if (!HOST.matcher(host).matches()) {
            throw SrgException.invalid("host", "InvalidParameter.DataSource.Host", "host must be a host name or an IP address");
        }
        int effectivePort = port != null ? port : type == DataSourceType.POSTGRESQL ? 5432 : 3306;
        if (effectivePort < 1 || effectivePort > 65535) {
            throw SrgException.invalid("port", "InvalidParameter.DataSource.Port", "port must be 1 to 65535, got " + port);
        }
        if (database == null || database.isBlank()) {
            throw SrgException.invalid("database", "MissingParameter", "database is required for a " + type + " data source");
        }
        if (!DATABASE.matcher(database).matches()) {
            throw SrgException.invalid("database", "InvalidParameter.DataSource.Database",
                    "database must be 1 to 63 letters, digits, '_', '$' or '-'");
        }
        if (user == null || user.isBlank()) {
            throw SrgException.invalid("user", "MissingParameter", "user is required for a " + type + " data source");
        }
        if (user.length() > 128 || user.chars().anyMatch(Character::isISOControl)) {
            throw SrgException.invalid("user", "InvalidParameter.DataSource.User", "user must be 1 to 128 printable characters");
        }
        return new Fields(host, effectivePort, database, user, password, null);
    }

    private static String requireName(String name) {
        String n = Names.require("name", name);
        if (!n.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
            // a job names it ("datasource"): keep names plain
            throw SrgException.invalid("name", "InvalidParameter.Name",
                    "a data source's name is letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        return n;
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static SrgException nameTaken(UnableToExecuteStatementException e, String name, String workspaceId) {
        if (e.getCause() instanceof SQLException s && "23505".equals(s.getSQLState())) {
            return SrgException.conflict("DataSource.NameTaken", "name",
                    "workspace '" + workspaceId + "' already has a data source named '" + name + "'");
        }
        return SrgException.invalid("workspaceId", "InvalidParameter.DataSource", "cannot store the data source: " + e.getMessage());
    }

    private WorkspaceRole requireMember(Principal caller, String workspaceId) {
        return workspaces.requireMember(caller, workspaceId);
    }

    private void requireEditor(Principal caller, String workspaceId) {
        WorkspaceRole role = requireMember(caller, workspaceId);
        if (role != WorkspaceRole.ADMIN && role != WorkspaceRole.DEVELOPER) {
            throw SrgException.forbidden("Forbidden.WorkspaceRole", "only a workspace ADMIN or DEVELOPER of '" + workspaceId
                    + "' may change its data sources; you are " + role);
        }
    }
}
