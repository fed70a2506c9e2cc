package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.datasource.DataSourceConnection;
import dev.srg.datasource.DataSourceInfo;
import dev.srg.datasource.DataSourceStore;
import dev.srg.datasource.DataSourceType;
import dev.srg.datasource.SecretBox;
import dev.srg.error.Names;
import dev.srg.error.SrgException;
import dev.srg.group.GroupStatus;
import dev.srg.group.ResourceGroupManager;
import dev.srg.json.Json;
import dev.srg.quantity.ComputeUnits;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import dev.srg.workspace.WorkspaceManager;
import dev.srg.workspace.WorkspaceRole;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import tools.jackson.databind.JsonNode;

/**
 * DataService Studio (SPEC DS-1..DS-4): API groups, APIs (draft, test, publish as an immutable
 * numbered version, unpublish), apps and their grants, the call log. Workspace roles decide: every
 * member reads; ADMINs and DEVELOPERs define and test; ADMINs, DEVELOPERs and OPERATORs publish,
 * unpublish and grant. Changes are audited by the API edge like every change.
 */
public final class DataServiceManager {
    private static final Logger LOG = LoggerFactory.getLogger(DataServiceManager.class);
    static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    static final Pattern PATH = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}(/[A-Za-z0-9][A-Za-z0-9_-]{0,63}){0,7}");
    static final int DEFAULT_TIMEOUT_MILLIS = 10_000;
    /** SPEC DS-1: at most 30 s. */
    public static final int MAX_TIMEOUT_MILLIS = 30_000;
    static final int DEFAULT_QPS = 100;
    static final int MAX_QPS = 100_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Jdbi jdbi;
    private final Clock clock;
    private final WorkspaceManager workspaces;
    private final DataSourceStore dataSources;
    private final SecretBox secrets;
    private final ServiceInstances services;
    private final Runnable routesChanged;

    public DataServiceManager(Jdbi jdbi, Clock clock, WorkspaceManager workspaces, DataSourceStore dataSources, SecretBox secrets,
                              ServiceInstances services, Runnable routesChanged) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.workspaces = requireNonNull(workspaces, "workspaces is null");
        this.dataSources = requireNonNull(dataSources, "dataSources is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.services = requireNonNull(services, "services is null");
        this.routesChanged = requireNonNull(routesChanged, "routesChanged is null");
    }

    // ---- records of the API ----

    public record CreateGroupRequest(String name, String workspaceId, String basePath, String clientToken) {}

    public record ApiGroupInfo(String id, String name, String workspaceId, String basePath, String createdBy, Instant createdAt) {}

    public record CreateApiRequest(String apiGroupId, String name, String path, String method, String mode, String dataSourceId,
                                   String resourceGroupId, String sql, ApiDefinition.Wizard wizard,
                                   List<ApiDefinition.Parameter> parameters, Boolean paging, Integer timeoutMillis, Integer qps,
                                   String clientToken) {}

    /** {@code PATCH}: the fields given replace the draft's; a published API keeps serving its version until published again. */
    public record UpdateApiRequest(String name, String method, String mode, String dataSourceId, String resourceGroupId, String sql,
                                   ApiDefinition.Wizard wizard, List<ApiDefinition.Parameter> parameters, Boolean paging,
                                   Integer timeoutMillis, Integer qps) {}

    /**
     * An API: its draft definition, whether that draft was tested, the version calls are served
     * from ({@code publishedVersion}, null when unpublished) and the newest version published.
     */
    public record ApiInfo(String id, String apiGroupId, String workspaceId, String name, String path, String callPath, String method,
                          String mode, String dataSourceId, String resourceGroupId, String sql, ApiDefinition.Wizard wizard,
                          List<ApiDefinition.Parameter> parameters, boolean paging, int timeoutMillis, int qps, String status,
                          boolean tested, Integer publishedVersion, int latestVersion, Instant createdAt, Instant updatedAt) {}

    /**
     * A published version. {@code apiName}, {@code callPath} (the API's now: a version keeps its definition, not
     * its name) and {@code publishedByName} are for people: the CLI's table shows them without asking again.
     */
    public record ApiVersionInfo(String apiId, int version, ApiDefinition definition, String publishedBy, Instant publishedAt,
                                 String apiName, String callPath, String publishedByName) {}

    /** {@code POST /dataservice/apis/{id}/test}: values by parameter name (text, numbers, booleans, or lists for IN). */
    public record TestRequest(Map<String, Object> params, Integer pageNum, Integer pageSize) {}

    /** What a test ran and found: the rows, the time, the SQL with its bound values (never spliced). */
    public record TestResult(List<Map<String, Object>> data, int rowCount, Long totalNum, int pageNum, int pageSize,
                             double millis, String sql, List<Map<String, Object>> boundValues) {}

    public record CreateAppRequest(String name, String clientToken) {}

    /** A new app: {@code appCode} and {@code appSecret} are shown this once (srg keeps a hash and a ciphertext). */
    public record CreatedAppInfo(String id, String name, String appKey, String appCode, String appSecret, Instant createdAt) {}

    public record AppInfo(String id, String name, String appKey, String createdBy, Instant createdAt, List<String> grantedApiIds) {}

    public record CallInfo(long id, String apiId, Integer version, String appId, int status, String errorCode, double latencyMillis,
                           int rows, Instant calledAt) {}

    public record ServiceRequest(String workspaceId, ComputeUnits cu) {}

    // ---- API groups ----

    public ApiGroupInfo createGroup(Principal caller, CreateGroupRequest r) {
        requireNonNullField(r.workspaceId(), "workspaceId");
        requireRole(caller, r.workspaceId(), "define DataService APIs", WorkspaceRole.ADMIN, WorkspaceRole.DEVELOPER);
        String name = Names.require("name", r.name());
        String base = r.basePath() == null ? null : stripSlashes(r.basePath());
        if (base == null || base.isEmpty()) {
            throw SrgException.invalid("basePath", "MissingParameter", "basePath is required (one path segment, e.g. 'orders')");
        }
        if (!SEGMENT.matcher(base).matches()) {
            throw SrgException.invalid("basePath", "InvalidParameter.DataService.BasePath",
                    "basePath is one segment of letters, digits, '_' or '-' (at most 64), got '" + r.basePath() + "'");
        }
        String id;
        try {
            // a repeat with the client token answers the first group (its basePath is taken by that very group)
            id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "ds-api-group", r.clientToken(),
                    String.join("|", r.workspaceId(), name, base), clock::instant, h -> {
                        String newId = Ids.next("apig", clock.instant().toEpochMilli());
                        h.createUpdate("""
                                INSERT INTO ds_api_groups (id, workspace_id, name, base_path, created_by, created_at)
                                VALUES (:id, :ws, :name, :base, :by, :now)""")
                                .bind("id", newId).bind("ws", r.workspaceId()).bind("name", name).bind("base", base)
                                .bind("by", caller.userId()).bind("now", clock.instant()).execute();
                        return newId;
                    });
        } catch (UnableToExecuteStatementException e) {
            throw unique(e, "DataService.BasePathTaken", "basePath", "the basePath '" + base + "' is taken");
        }
        String created = id;
        return group(created).orElseThrow(() -> SrgException.notFound("ApiGroup", created));
    }

    /** A workspace's API groups; without {@code workspaceId}, those of every workspace the caller is a member of. */
    public Page<ApiGroupInfo> listGroups(Principal caller, String workspaceId, PageRequest page) {
        String ws = workspaceId == null || workspaceId.isBlank() ? null : workspaceId;
        if (ws != null) {
            requireMember(caller, ws);
        }
        boolean all = ws != null || caller.isAdministrator();
        return jdbi.withHandle(h -> page.page(h.createQuery("""
                        SELECT * FROM ds_api_groups
                        WHERE (CAST(:ws AS text) IS NULL OR workspace_id = :ws)
                          AND (:all OR workspace_id IN (SELECT workspace_id FROM workspace_members WHERE user_id = :user))
                          AND id > :after ORDER BY id LIMIT :limit""")
                .bind("ws", ws).bind("all", all).bind("user", caller.userId())
                .bind("after", page.afterId()).bind("limit", page.limit())
                .map((rs, ctx) -> groupInfo(rs)).list(), ApiGroupInfo::id));
    }

    public ApiGroupInfo getGroup(Principal caller, String id) {
        ApiGroupInfo g = group(id).orElseThrow(() -> SrgException.notFound("ApiGroup", id));
        memberOrNotFound(caller, g.workspaceId(), "ApiGroup", id);
        return g;
    }

    private Optional<ApiGroupInfo> group(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM ds_api_groups WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> groupInfo(rs)).findOne());
    }

    private static ApiGroupInfo groupInfo(ResultSet rs) throws SQLException {
        return new ApiGroupInfo(rs.getString("id"), rs.getString("name"), rs.getString("workspace_id"), rs.getString("base_path"),
                rs.getString("created_by"), rs.getTimestamp("created_at").toInstant());
    }

    // ---- APIs ----

    public ApiInfo createApi(Principal caller, CreateApiRequest r) {
        requireNonNullField(r.apiGroupId(), "apiGroupId");
        ApiGroupInfo g = group(r.apiGroupId()).orElseThrow(() -> SrgException.notFound("ApiGroup", r.apiGroupId(), "apiGroupId"));
        memberOrNotFound(caller, g.workspaceId(), "ApiGroup", g.id());
        requireRole(caller, g.workspaceId(), "define DataService APIs", WorkspaceRole.ADMIN, WorkspaceRole.DEVELOPER);
        String name = Names.require("name", r.name());
        String path = checkPath(r.path());
        ApiDefinition def = check(g.workspaceId(), new ApiDefinition(r.method(), r.mode(), r.dataSourceId(), r.resourceGroupId(),
                r.sql(), r.wizard(), r.parameters(), Boolean.TRUE.equals(r.paging()),
                r.timeoutMillis() == null ? DEFAULT_TIMEOUT_MILLIS : r.timeoutMillis(), r.qps() == null ? DEFAULT_QPS : r.qps()), null);
        String definition = Json.write(def);
        String id;
        try {
            id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "ds-api", r.clientToken(),
                    String.join("|", g.id(), name, path, definition), clock::instant, h -> {
                        Instant now = clock.instant();
                        String newId = Ids.next("api", now.toEpochMilli());
                        h.createUpdate("""
                                INSERT INTO ds_apis (id, api_group_id, workspace_id, name, path, definition, created_by, created_at,
                                    updated_at)
                                VALUES (:id, :g, :ws, :name, :path, CAST(:def AS jsonb), :by, :now, :now)""")
                                .bind("id", newId).bind("g", g.id()).bind("ws", g.workspaceId()).bind("name", name).bind("path", path)
                                .bind("def", definition).bind("by", caller.userId()).bind("now", now).execute();
                        return newId;
                    });
        } catch (UnableToExecuteStatementException e) {
            throw unique(e, "DataService.PathTaken", "path", "API group '" + g.id() + "' already has an API at '" + path + "'");
        }
        String created = id;
        return api(created).orElseThrow(() -> SrgException.notFound("Api", created));
    }

    public ApiInfo updateApi(Principal caller, String id, UpdateApiRequest r) {
        ApiInfo a = getApi(caller, id);
        requireRole(caller, a.workspaceId(), "change DataService APIs", WorkspaceRole.ADMIN, WorkspaceRole.DEVELOPER);
        String name = r.name() == null ? a.name() : Names.require("name", r.name());
        boolean modeChanges = r.mode() != null && !r.mode().equals(a.mode());
        ApiDefinition def = check(a.workspaceId(), new ApiDefinition(
                r.method() == null ? a.method() : r.method(),
                r.mode() == null ? a.mode() : r.mode(),
                r.dataSourceId() == null ? a.dataSourceId() : r.dataSourceId(),
                r.resourceGroupId() == null ? a.resourceGroupId() : r.resourceGroupId(),
                r.sql() != null ? r.sql() : modeChanges ? null : a.sql(),
                r.wizard() != null ? r.wizard() : modeChanges ? null : a.wizard(),
                r.parameters() == null ? a.parameters() : r.parameters(),
                r.paging() == null ? a.paging() : r.paging(),
                r.timeoutMillis() == null ? a.timeoutMillis() : r.timeoutMillis(),
                r.qps() == null ? a.qps() : r.qps()), a);
        jdbi.useHandle(h -> h.createUpdate("""
                UPDATE ds_apis SET name = :name, definition = CAST(:def AS jsonb), updated_at = :now WHERE id = :id""")
                .bind("id", id).bind("name", name).bind("def", Json.write(def)).bind("now", clock.instant()).execute());
        return api(id).orElseThrow();
    }

    public ApiInfo getApi(Principal caller, String id) {
        ApiInfo a = api(id).orElseThrow(() -> SrgException.notFound("Api", id));
        memberOrNotFound(caller, a.workspaceId(), "Api", id);
        return a;
    }

    /** APIs of an API group, of a workspace, or (neither given) of every workspace the caller is a member of. */
    public Page<ApiInfo> listApis(Principal caller, String apiGroupId, String workspaceId, PageRequest page) {
        String ws = workspaceId == null || workspaceId.isBlank() ? null : workspaceId;
        String group = apiGroupId == null || apiGroupId.isBlank() ? null : apiGroupId;
        if (group != null) {
            ApiGroupInfo g = getGroup(caller, group);
            if (ws != null && !ws.equals(g.workspaceId())) {
                return new Page<>(List.of(), null);
            }
            ws = g.workspaceId();
        } else if (ws != null) {
            requireMember(caller, ws);
        }
        boolean all = ws != null || caller.isAdministrator();
        String workspace = ws;
        return jdbi.withHandle(h -> page.page(h.createQuery(API_SELECT + " " + """
                         WHERE (CAST(:ws AS text) IS NULL OR a.workspace_id = :ws) AND (CAST(:g AS text) IS NULL OR a.api_group_id = :g)
                           AND (:all OR a.workspace_id IN (SELECT workspace_id FROM workspace_members WHERE user_id = :user))
                           AND a.id > :after ORDER BY a.id LIMIT :limit""")
                .bind("ws", workspace).bind("g", group).bind("all", all).bind("user", caller.userId())
                .bind("after", page.afterId()).bind("limit", page.limit())
                .map((rs, ctx) -> apiInfo(rs)).list(), ApiInfo::id));
    }

    /** Deletes an API that is not published (unpublish first); its versions and call log go with it. */
    public void deleteApi(Principal caller, String id) {
        ApiInfo a = getApi(caller, id);
        requireRole(caller, a.workspaceId(), "delete DataService APIs", WorkspaceRole.ADMIN, WorkspaceRole.DEVELOPER);
        if (a.publishedVersion() != null) {
            throw SrgException.conflict("DataService.Published", "API '" + id + "' is published; unpublish it first");
        }
        jdbi.useTransaction(h -> {
            h.createUpdate("DELETE FROM ds_grants WHERE api_id = :id").bind("id", id).execute();
            h.createUpdate("DELETE FROM ds_api_versions WHERE api_id = :id").bind("id", id).execute();
            h.createUpdate("DELETE FROM ds_calls WHERE api_id = :id").bind("id", id).execute();
            h.createUpdate("DELETE FROM ds_apis WHERE id = :id").bind("id", id).execute();
        });
    }

    private static final String API_SELECT = """
            SELECT a.*, g.base_path FROM ds_apis a JOIN ds_api_groups g ON g.id = a.api_group_id""";

    private Optional<ApiInfo> api(String id) {
        return jdbi.withHandle(h -> h.createQuery(API_SELECT + " WHERE a.id = :id").bind("id", id)
                .map((rs, ctx) -> apiInfo(rs)).findOne());
    }

    private static ApiInfo apiInfo(ResultSet rs) throws SQLException {
        ApiDefinition d = Json.STORED.readValue(rs.getString("definition"), ApiDefinition.class);
        int published = rs.getInt("published_version");
        Integer publishedVersion = rs.wasNull() ? null : published;
        String tested = rs.getString("tested_hash");
        return new ApiInfo(rs.getString("id"), rs.getString("api_group_id"), rs.getString("workspace_id"), rs.getString("name"),
                rs.getString("path"), "/data/" + rs.getString("base_path") + "/" + rs.getString("path"), d.method(), d.mode(),
                d.dataSourceId(), d.resourceGroupId(), d.sql(), d.wizard(), d.parameters(), d.paging(), d.timeoutMillis(), d.qps(),
                publishedVersion == null ? "DRAFT" : "PUBLISHED", tested != null && tested.equals(hash(d)), publishedVersion,
                rs.getInt("latest_version"), rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant());
    }

    /**
     * The definition as the API's rules want it (DS-1, DS-4, DS-6), or a 400 naming the field.
     * {@code current} is the stored draft when a PATCH changes it (null at creation): a reference
     * it keeps is not required to exist again. A data source deleted under the API (allowed, as
     * under a sync) or a group since dissociated leaves the draft editable; its test and publish
     * still need a data source and a group that serve (a PATCH naming new ones is checked in full).
     */
    private ApiDefinition check(String workspaceId, ApiDefinition d, ApiInfo current) {
        String method = d.method() == null ? "GET" : d.method().toUpperCase(java.util.Locale.ROOT);
        if (!method.equals("GET") && !method.equals("POST")) {
            throw SrgException.invalid("method", "InvalidParameter.DataService.Method", "method is GET or POST, got '" + d.method() + "'");
        }
        if (d.mode() == null) {
            throw SrgException.invalid("mode", "MissingParameter", "mode is required: SCRIPT or WIZARD");
        }
        if (!d.mode().equals("SCRIPT") && !d.mode().equals("WIZARD")) {
            throw SrgException.invalid("mode", "InvalidParameter.DataService.Mode", "mode is SCRIPT or WIZARD, got '" + d.mode() + "'");
        }
        requireNonNullField(d.dataSourceId(), "dataSourceId");
        Optional<DataSourceInfo> found = dataSources.find(d.dataSourceId()).filter(x -> x.workspaceId().equals(workspaceId));
        boolean keptSource = current != null && d.dataSourceId().equals(current.dataSourceId());
        if (found.isEmpty() && !keptSource) {
            throw SrgException.notFound("DataSource", d.dataSourceId(), "dataSourceId");
        }
        DataSourceType type = found.map(DataSourceInfo::type).orElse(null); // null: deleted since, its dialect unknown
        if (type != null && type != DataSourceType.POSTGRESQL && type != DataSourceType.MYSQL) {
            throw SrgException.invalid("dataSourceId", "InvalidParameter.DataService.DataSourceType",
                    "an API reads a POSTGRESQL or MYSQL data source, not " + type);
        }
        requireNonNullField(d.resourceGroupId(), "resourceGroupId");
        boolean keptGroup = current != null && d.resourceGroupId().equals(current.resourceGroupId());
        // SPEC WS-1, RT-2: the API runs on a group of its workspace
        if (!keptGroup && !workspaces.isAssociated(workspaceId, d.resourceGroupId())) {
            throw SrgException.invalid("resourceGroupId", "InvalidParameter.ResourceGroup.NotAssociated",
                    "resource group '" + d.resourceGroupId() + "' is not associated with workspace '" + workspaceId + "'");
        }
        if (d.timeoutMillis() < 100 || d.timeoutMillis() > MAX_TIMEOUT_MILLIS) {
            throw SrgException.invalid("timeoutMillis", "InvalidParameter.DataService.Timeout",
                    "timeoutMillis must be 100 to " + MAX_TIMEOUT_MILLIS + ", got " + d.timeoutMillis());
        }
        if (d.qps() < 1 || d.qps() > MAX_QPS) {
            throw SrgException.invalid("qps", "InvalidParameter.DataService.Qps", "qps must be 1 to " + MAX_QPS + ", got " + d.qps());
        }
        boolean wizard = d.mode().equals("WIZARD");
        List<ApiDefinition.Parameter> params = new ArrayList<>();
        Set<String> names = new HashSet<>();
        if (d.parameters().size() > 64) {
            throw SrgException.invalid("parameters", "InvalidParameter.DataService.Parameters", "at most 64 parameters");
        }
        for (int i = 0; i < d.parameters().size(); i++) {
            ApiDefinition.Parameter p = d.parameters().get(i);
            String f = "parameters[" + i + "]";
            if (p == null || p.name() == null) {
                throw SrgException.invalid(f + ".name", "MissingParameter", "every parameter needs a name");
            }
            if (!QueryPlan.IDENTIFIER.matcher(p.name()).matches() || QueryPlan.RESERVED.contains(p.name())) {
                throw SrgException.invalid(f + ".name", "InvalidParameter.DataService.ParameterName", "a parameter's name is a letter"
                        + " or '_' then letters, digits or '_' (not pageNum or pageSize), got '" + p.name() + "'");
            }
            if (!names.add(p.name())) {
                throw SrgException.invalid(f + ".name", "InvalidParameter.DataService.ParameterName", "parameter '" + p.name()
                        + "' is declared twice");
            }
            if (p.type() == null) {
                throw SrgException.invalid(f + ".type", "MissingParameter", "type is required: " + List.of(ParamType.values()));
            }
            String operator = p.operator();
            if (wizard) {
                if (p.column() == null || !QueryPlan.IDENTIFIER.matcher(p.column()).matches()) {
                    throw SrgException.invalid(f + ".column", "InvalidParameter.DataService.Column",
                            "a WIZARD parameter names the column it filters (letters, digits, '_')");
                }
                operator = operator == null ? "=" : operator.toUpperCase(java.util.Locale.ROOT);
                if (!QueryPlan.OPERATORS.contains(operator)) {
                    throw SrgException.invalid(f + ".operator", "InvalidParameter.DataService.Operator",
                            "operator is one of " + QueryPlan.OPERATORS + ", got '" + p.operator() + "'");
                }
            } else if (p.column() != null || p.operator() != null) {
                throw SrgException.invalid(f + (p.column() != null ? ".column" : ".operator"), "InvalidParameter.DataService.Script",
                        "a SCRIPT API's parameters have no column or operator: the SQL says where they go");
            }
            String def = null;
            if (p.defaultValue() != null) {
                if ("IN".equals(operator)) {
                    for (String item : p.defaultValue().split(",", -1)) {
                        p.type().canonical(f + ".defaultValue", item);
                    }
                    def = p.defaultValue();
                } else {
                    def = p.type().canonical(f + ".defaultValue", p.defaultValue());
                }
            }
            params.add(new ApiDefinition.Parameter(p.name(), p.type(), Boolean.TRUE.equals(p.required()), def, operator,
                    p.column(), p.description()));
        }
        // the data source's dialect; without one (deleted) the SQL must read in one of the two, and
        // the test on the next data source checks it in that one's
        boolean mysql = type == DataSourceType.MYSQL;
        if (type == null && d.sql() != null && d.wizard() == null) {
            try {
                SqlTemplate.compile(d.sql(), names, false);
            } catch (SrgException e) {
                mysql = true;
            }
        }
        ApiDefinition.Wizard w = null;
        String sql = null;
        if (wizard) {
            if (d.sql() != null) {
                throw SrgException.invalid("sql", "InvalidParameter.DataService.Wizard", "a WIZARD API has no sql; it names a table");
            }
            w = checkWizard(d.wizard());
        } else {
            if (d.wizard() != null) {
                throw SrgException.invalid("wizard", "InvalidParameter.DataService.Script", "a SCRIPT API has no wizard; it has sql");
            }
            SqlTemplate.compile(d.sql(), names, mysql);
            sql = d.sql();
        }
        ApiDefinition checked = new ApiDefinition(method, d.mode(), d.dataSourceId(), d.resourceGroupId(), sql, w, params, d.paging(),
                d.timeoutMillis(), d.qps());
        template(checked, mysql);
        return checked;
    }

    private static ApiDefinition.Wizard checkWizard(ApiDefinition.Wizard w) {
        if (w == null) {
            throw SrgException.invalid("wizard", "MissingParameter", "a WIZARD API needs wizard {table, responseFields}");
        }
        if (w.table() == null || !w.table().matches("([A-Za-z_][A-Za-z0-9_]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_]{0,62}")) {
            throw SrgException.invalid("wizard.table", "InvalidParameter.DataService.Table",
                    "wizard.table is a table name (optionally schema.table) of letters, digits and '_'");
        }
        if (w.responseFields() == null || w.responseFields().isEmpty() || w.responseFields().size() > 200) {
            throw SrgException.invalid("wizard.responseFields", "MissingParameter", "wizard.responseFields lists 1 to 200 columns");
        }
        for (int i = 0; i < w.responseFields().size(); i++) {
            String c = w.responseFields().get(i);
            if (c == null || !QueryPlan.IDENTIFIER.matcher(c).matches()) {
                throw SrgException.invalid("wizard.responseFields[" + i + "]", "InvalidParameter.DataService.Column",
                        "a response field is a column name of letters, digits and '_'");
            }
        }
        List<ApiDefinition.Order> order = new ArrayList<>();
        if (w.orderBy() != null) {
            for (int i = 0; i < w.orderBy().size(); i++) {
                ApiDefinition.Order o = w.orderBy().get(i);
                if (o == null || o.column() == null || !QueryPlan.IDENTIFIER.matcher(o.column()).matches()) {
                    throw SrgException.invalid("wizard.orderBy[" + i + "].column", "InvalidParameter.DataService.Column",
                            "an order column is a column name of letters, digits and '_'");
                }
                String dir = o.direction() == null ? "ASC" : o.direction().toUpperCase(java.util.Locale.ROOT);
                if (!dir.equals("ASC") && !dir.equals("DESC")) {
                    throw SrgException.invalid("wizard.orderBy[" + i + "].direction", "InvalidParameter.DataService.Order",
                            "direction is ASC or DESC");
                }
                order.add(new ApiDefinition.Order(o.column(), dir));
            }
        }
        return new ApiDefinition.Wizard(w.table(), List.copyOf(w.responseFields()), order);
    }

    /** The compiled SQL of a checked definition (SCRIPT), or null (WIZARD builds per call). */
    static SqlTemplate template(ApiDefinition d, boolean mysql) {
        if (!"SCRIPT".equals(d.mode())) {
            return null;
        }
        Set<String> names = new HashSet<>();
        d.parameters().forEach(p -> names.add(p.name()));
        return SqlTemplate.compile(d.sql(), names, mysql);
    }

    // ---- test, publish, unpublish ----

    /** SPEC DS-2: runs the draft with the given values on the API's group, as a call would, and shows what ran. */
    public TestResult test(Principal caller, String id, TestRequest r) {
        ApiInfo a = getApi(caller, id);
        requireRole(caller, a.workspaceId(), "test DataService APIs", WorkspaceRole.ADMIN, WorkspaceRole.DEVELOPER);
        ApiDefinition d = definition(id);
        DataSourceConnection c = dataSources.connection(d.dataSourceId())
                .orElseThrow(() -> SrgException.notFound("DataSource", d.dataSourceId(), "dataSourceId"));
        boolean mysql = c.type() == DataSourceType.MYSQL;
        Map<String, List<String>> values = values(r == null ? null : r.params(), "params.");
        QueryPlan plan = QueryPlan.of(d, template(d, mysql), mysql, values,
                r == null || r.pageNum() == null ? null : r.pageNum().toString(),
                r == null || r.pageSize() == null ? null : r.pageSize().toString(), true);
        services.ensure(a.workspaceId(), d.resourceGroupId());
        long start = System.nanoTime();
        WorkerClient.Answer answer = services.execute(a.workspaceId(), d.resourceGroupId(), plan, WorkerSource.of(c),
                d.timeoutMillis());
        try {
            return tested(a, d, id, plan, answer, (System.nanoTime() - start) / 1e6);
        } finally {
            answer.release().run();
        }
    }

    private TestResult tested(ApiInfo a, ApiDefinition d, String id, QueryPlan plan, WorkerClient.Answer answer, double millis) {
        if (!answer.ok()) {
            String error = answer.head().error();
            if (error.equals("TIMEOUT")) {
                throw new SrgException(504, "DataService.Timeout", null, "the query ran over the API's timeout of "
                        + d.timeoutMillis() + " ms and was cancelled on the database");
            }
            // the API's developer sees the database's message (their SQL); callers never do
            String outside = error.equals("CONNECT") ? services.networkReason(a.workspaceId(), d.resourceGroupId(),
                    answer.head().address()) : null;
            throw SrgException.invalid(null, "DataService.TestFailed", "the test failed (" + error + "): "
                    + (outside != null ? outside + "; " : "") + answer.head().message());
        }
        String h = hash(d);
        jdbi.useHandle(x -> x.createUpdate("UPDATE ds_apis SET tested_hash = :h WHERE id = :id AND definition = CAST(:def AS jsonb)")
                .bind("h", h).bind("id", id).bind("def", Json.write(d)).execute());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> data = Json.STORED.readValue(answer.data(), List.class);
        Long total = answer.head().total() >= 0 ? answer.head().total() : null;
        return new TestResult(data, data.size(), d.paging() ? total : Long.valueOf(data.size()), plan.pageNum(), plan.pageSize(),
                millis, plan.sql(), plan.bound());
    }

    /** SPEC DS-2: the tested draft becomes the next immutable version (or the newest, if unchanged) and is served. */
    public ApiInfo publish(Principal caller, String id) {
        ApiInfo a = getApi(caller, id);
        requireRole(caller, a.workspaceId(), "publish DataService APIs", WorkspaceRole.ADMIN, WorkspaceRole.DEVELOPER,
                WorkspaceRole.OPERATOR);
        if (!a.tested()) {
            throw SrgException.conflict("DataService.NotTested", "API '" + id + "' must be tested (POST /api/v1/dataservice/apis/"
                    + id + "/test) since its last change before it is published");
        }
        ApiDefinition asked = definition(id);
        if (dataSources.find(asked.dataSourceId()).isEmpty()) {
            throw SrgException.notFound("DataSource", asked.dataSourceId(), "dataSourceId");
        }
        ApiDefinition[] published = new ApiDefinition[1];
        String previousGroup = jdbi.inTransaction(h -> {
            // the draft as it stands once this holds the API's row: a PATCH that committed since the check
            // above (or while this waited) made it another, untested draft, which must not be published (DS-2)
            Map<String, Object> draft = h.createQuery("SELECT definition, tested_hash FROM ds_apis WHERE id = :id FOR UPDATE")
                    .bind("id", id).mapToMap().findOne().orElseThrow(() -> SrgException.notFound("Api", id));
            ApiDefinition d = Json.STORED.readValue(draft.get("definition").toString(), ApiDefinition.class);
            if (!hash(d).equals(draft.get("tested_hash"))) {
                throw SrgException.conflict("DataService.NotTested", "API '" + id + "' was changed since it was tested (POST"
                        + " /api/v1/dataservice/apis/" + id + "/test) and must be tested again before it is published");
            }
            published[0] = d;
            // read after the lock, in a statement of its own: the locking statement's snapshot is from before it
            // waited, so a concurrent publish's new version was unseen there and the same draft got a second version
            Map<String, Object> row = h.createQuery("""
                    SELECT a.latest_version, a.published_version, v.definition AS latest, p.definition AS served
                    FROM ds_apis a
                    LEFT JOIN ds_api_versions v ON v.api_id = a.id AND v.version = a.latest_version
                    LEFT JOIN ds_api_versions p ON p.api_id = a.id AND p.version = a.published_version
                    WHERE a.id = :id""").bind("id", id).mapToMap().one();
            int latest = ((Number) row.get("latest_version")).intValue();
            Object latestDef = row.get("latest");
            boolean same = latestDef != null && Json.MAPPER.readTree(latestDef.toString()).equals(Json.MAPPER.valueToTree(d));
            int version = same ? latest : latest + 1;
            if (!same) {
                h.createUpdate("""
                        INSERT INTO ds_api_versions (api_id, version, definition, published_by, published_at)
                        VALUES (:id, :v, CAST(:def AS jsonb), :by, :now)""")
                        .bind("id", id).bind("v", version).bind("def", Json.write(d)).bind("by", caller.userId())
                        .bind("now", clock.instant()).execute();
            }
            h.createUpdate("UPDATE ds_apis SET published_version = :v, latest_version = :v2, updated_at = :now WHERE id = :id")
                    .bind("id", id).bind("v", version).bind("v2", Math.max(latest, version)).bind("now", clock.instant()).execute();
            Object served = row.get("served");
            return served == null ? null : Json.STORED.readValue(served.toString(), ApiDefinition.class).resourceGroupId();
        });
        ApiDefinition d = published[0];
        routesChanged.run();
        // SPEC DS-5: the group's service serves it (started through admission: quotas apply), unless an unpublish
        // committed since: the read is made under the pair's lock, after any start or stop before it
        services.reconcile(a.workspaceId(), d.resourceGroupId(), () -> published(a.workspaceId(), d.resourceGroupId()));
        if (previousGroup != null && !previousGroup.equals(d.resourceGroupId())) {
            services.reconcile(a.workspaceId(), previousGroup, () -> published(a.workspaceId(), previousGroup));
        }
        return api(id).orElseThrow();
    }

    /** SPEC DS-2: calls stop at once; the versions stay. */
    public ApiInfo unpublish(Principal caller, String id) {
        ApiInfo a = getApi(caller, id);
        requireRole(caller, a.workspaceId(), "unpublish DataService APIs", WorkspaceRole.ADMIN, WorkspaceRole.DEVELOPER,
                WorkspaceRole.OPERATOR);
        if (a.publishedVersion() == null) {
            throw SrgException.conflict("DataService.NotPublished", "API '" + id + "' is not published");
        }
        String group = version(id, a.publishedVersion()).resourceGroupId();
        jdbi.useHandle(h -> h.createUpdate("UPDATE ds_apis SET published_version = NULL, updated_at = :now WHERE id = :id")
                .bind("id", id).bind("now", clock.instant()).execute());
        routesChanged.run();
        // stopped unless an API of the workspace is published on the group (another one, or this one again by a
        // publish that committed since: read under the pair's lock, as the publish reads it)
        services.reconcile(a.workspaceId(), group, () -> published(a.workspaceId(), group));
        return api(id).orElseThrow();
    }

    /**
     * SPEC DS-5: the background job's pass over services with nothing published (a server killed
     * between an unpublish's commit and the stop, a draft tested and never published): each one
     * unused for {@link ServiceInstances#IDLE_GRACE} is stopped, its CU back to the group.
     *
     * @return how many it stopped
     */
    public int stopIdleServices() {
        Instant cutoff = clock.instant().minus(ServiceInstances.IDLE_GRACE);
        int stopped = 0;
        for (ServiceInstances.PairKey p : services.idleCandidates(cutoff)) {
            try {
                if (services.stopIdle(p.workspaceId(), p.groupId(), () -> published(p.workspaceId(), p.groupId()), cutoff)) {
                    stopped++;
                }
            } catch (RuntimeException e) {
                LOG.warn("dataservice: stopping the idle service of workspace {} on group {} failed (the next pass tries again): {}",
                        p.workspaceId(), p.groupId(), e.toString());
            }
        }
        return stopped;
    }

    /** Whether an API of the workspace is published on the group (its service is then to run, DS-5). */
    private boolean published(String workspaceId, String groupId) {
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT count(*) FROM ds_apis a JOIN ds_api_versions v ON v.api_id = a.id AND v.version = a.published_version
                WHERE a.workspace_id = :ws AND v.definition ->> 'resourceGroupId' = :rg""")
                .bind("ws", workspaceId).bind("rg", groupId).mapTo(Long.class).one() > 0);
    }

    public List<ApiVersionInfo> versions(Principal caller, String id) {
        getApi(caller, id);
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT v.*, a.name AS api_name, g.base_path, a.path, u.name AS published_by_name
                FROM ds_api_versions v JOIN ds_apis a ON a.id = v.api_id JOIN ds_api_groups g ON g.id = a.api_group_id
                LEFT JOIN users u ON u.id = v.published_by
                WHERE v.api_id = :id ORDER BY v.version""")
                .bind("id", id).map((rs, ctx) -> new ApiVersionInfo(id, rs.getInt("version"),
                        Json.STORED.readValue(rs.getString("definition"), ApiDefinition.class), rs.getString("published_by"),
                        rs.getTimestamp("published_at").toInstant(), rs.getString("api_name"),
                        "/data/" + rs.getString("base_path") + "/" + rs.getString("path"), rs.getString("published_by_name"))).list());
    }

    private ApiDefinition definition(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT definition FROM ds_apis WHERE id = :id").bind("id", id)
                .mapTo(String.class).findOne()).map(s -> Json.STORED.readValue(s, ApiDefinition.class))
                .orElseThrow(() -> SrgException.notFound("Api", id));
    }

    private ApiDefinition version(String id, int version) {
        return jdbi.withHandle(h -> h.createQuery("SELECT definition FROM ds_api_versions WHERE api_id = :id AND version = :v")
                .bind("id", id).bind("v", version).mapTo(String.class).one()).transform(s -> Json.STORED.readValue(s, ApiDefinition.class));
    }

    // ---- apps and grants ----

    public CreatedAppInfo createApp(Principal caller, CreateAppRequest r) {
        String name = Names.require("name", r.name());
        Instant now = clock.instant();
        String id = Ids.next("app", now.toEpochMilli());
        String appKey = "ak" + HexFormat.of().formatHex(randomBytes(10));
        String appCode = token(24);
        String appSecret = token(32);
        String made = IdempotencyKeys.createOnce(jdbi, caller.userId(), "ds-app", r.clientToken(), name, clock::instant, h -> {
            h.createUpdate("""
                    INSERT INTO ds_apps (id, name, app_key, app_code_sha256, app_secret_encrypted, created_by, created_at)
                    VALUES (:id, :name, :key, :code, :secret, :by, :now)""")
                    .bind("id", id).bind("name", name).bind("key", appKey).bind("code", sha256(appCode))
                    .bind("secret", secrets.encrypt(appSecret, id)).bind("by", caller.userId()).bind("now", now).execute();
            return id;
        });
        if (!made.equals(id)) {
            // a repeat with the client token: the first app, its secrets not shown again (they are shown once)
            AppInfo first = getApp(caller, made);
            return new CreatedAppInfo(first.id(), first.name(), first.appKey(), null, null, first.createdAt());
        }
        return new CreatedAppInfo(id, name, appKey, appCode, appSecret, now);
    }

    /** The caller's apps (an administrator: all). */
    public Page<AppInfo> listApps(Principal caller, PageRequest page) {
        return jdbi.withHandle(h -> page.page(h.createQuery("""
                        SELECT * FROM ds_apps WHERE (:all OR created_by = :user) AND id > :after ORDER BY id LIMIT :limit""")
                .bind("all", caller.isAdministrator()).bind("user", caller.userId()).bind("after", page.afterId())
                .bind("limit", page.limit()).map((rs, ctx) -> appInfo(h, rs)).list(), AppInfo::id));
    }

    public AppInfo getApp(Principal caller, String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM ds_apps WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> appInfo(h, rs)).findOne())
                .filter(a -> caller.isAdministrator() || a.createdBy().equals(caller.userId()))
                .orElseThrow(() -> SrgException.notFound("App", id));
    }

    public void deleteApp(Principal caller, String id) {
        getApp(caller, id);
        // a concurrent delete of the same app took it between the read and here: 404, as one after the other
        if (jdbi.withHandle(h -> h.createUpdate("DELETE FROM ds_apps WHERE id = :id").bind("id", id).execute()) == 0) {
            throw SrgException.notFound("App", id);
        }
        routesChanged.run();
    }

    /** SPEC DS-3: the app's owner grants it an API of a workspace where they may publish. */
    public AppInfo grant(Principal caller, String appId, String apiId) {
        getApp(caller, appId);
        ApiInfo a = getApi(caller, apiId);
        requireRole(caller, a.workspaceId(), "grant DataService APIs", WorkspaceRole.ADMIN, WorkspaceRole.DEVELOPER,
                WorkspaceRole.OPERATOR);
        jdbi.useHandle(h -> h.createUpdate("""
                INSERT INTO ds_grants (app_id, api_id, granted_by, granted_at) VALUES (:app, :api, :by, :now)
                ON CONFLICT DO NOTHING""")
                .bind("app", appId).bind("api", apiId).bind("by", caller.userId()).bind("now", clock.instant()).execute());
        routesChanged.run();
        return getApp(caller, appId);
    }

    public void revoke(Principal caller, String appId, String apiId) {
        getApp(caller, appId);
        ApiInfo a = getApi(caller, apiId);
        requireRole(caller, a.workspaceId(), "revoke DataService grants", WorkspaceRole.ADMIN, WorkspaceRole.DEVELOPER,
                WorkspaceRole.OPERATOR);
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM ds_grants WHERE app_id = :app AND api_id = :api")
                .bind("app", appId).bind("api", apiId).execute());
        routesChanged.run();
    }

    private static AppInfo appInfo(Handle h, ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        List<String> grants = h.createQuery("SELECT api_id FROM ds_grants WHERE app_id = :id ORDER BY api_id").bind("id", id)
                .mapTo(String.class).list();
        return new AppInfo(id, rs.getString("name"), rs.getString("app_key"), rs.getString("created_by"),
                rs.getTimestamp("created_at").toInstant(), grants);
    }

    // ---- the call log, the service ----

    /** SPEC DS-6: the API's calls, newest first. */
    public Page<CallInfo> calls(Principal caller, String id, PageRequest page) {
        getApi(caller, id);
        long before = page.afterId().isEmpty() ? Long.MAX_VALUE : parseToken(page.afterId());
        List<CallInfo> rows = jdbi.withHandle(h -> h.createQuery("""
                        SELECT * FROM ds_calls WHERE api_id = :id AND id < :before ORDER BY id DESC LIMIT :limit""")
                .bind("id", id).bind("before", before).bind("limit", page.limit())
                .map((rs, ctx) -> new CallInfo(rs.getLong("id"), rs.getString("api_id"), (Integer) rs.getObject("version"),
                        rs.getString("app_id"), rs.getInt("status"), rs.getString("error_code"), rs.getDouble("latency_millis"),
                        rs.getInt("row_count"), rs.getTimestamp("called_at").toInstant())).list());
        // the token encoded like every list's: the bare id it once was did not come back (a 400 on the second page)
        return page.page(rows, c -> Long.toString(c.id()));
    }

    /** Calls of one minute: how many, how many not 200, mean and p99 latency. */
    public record CallPoint(Instant minute, long calls, long errors, double meanMillis, double p99Millis) {}

    /** The calls per minute as the API answers them: a series is {@code {points:[...]}}, like a group's usage history. */
    public record CallSeries(List<CallPoint> points) {}

    /** SPEC DS-6: the API's calls per minute over the last {@code minutes} (1 to 1440), empty minutes included. */
    public List<CallPoint> callSeries(Principal caller, String id, int minutes) {
        getApi(caller, id);
        if (minutes < 1 || minutes > 1440) {
            throw SrgException.invalid("minutes", "InvalidParameter.Minutes", "minutes must be 1 to 1440, got " + minutes);
        }
        Instant end = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        Instant start = end.minus(java.time.Duration.ofMinutes(minutes - 1L));
        Map<Instant, CallPoint> found = new java.util.HashMap<>();
        jdbi.useHandle(h -> h.createQuery("""
                SELECT date_trunc('minute', called_at) AS minute, count(*) AS calls, count(*) FILTER (WHERE status <> 200) AS errors,
                       avg(latency_millis) AS mean, percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_millis) AS p99
                FROM ds_calls WHERE api_id = :id AND called_at >= :from GROUP BY 1""")
                .bind("id", id).bind("from", start)
                .map((rs, ctx) -> new CallPoint(rs.getTimestamp("minute").toInstant(), rs.getLong("calls"), rs.getLong("errors"),
                        rs.getDouble("mean"), rs.getDouble("p99")))
                .forEach(p -> found.put(p.minute(), p)));
        List<CallPoint> out = new ArrayList<>();
        for (Instant m = start; !m.isAfter(end); m = m.plus(java.time.Duration.ofMinutes(1))) {
            out.add(found.getOrDefault(m, new CallPoint(m, 0, 0, 0, 0)));
        }
        return out;
    }

    private static long parseToken(String token) {
        try {
            return Long.parseLong(token);
        } catch (NumberFormatException e) {
            throw SrgException.invalid("pageToken", "InvalidParameter.PageToken", "pageToken is not one this list gave");
        }
    }

    public ServiceInstances.ApiServiceInfo service(Principal caller, String groupId, String workspaceId) {
        requireNonNullField(workspaceId, "workspaceId");
        requireMember(caller, workspaceId);
        return services.info(workspaceId, groupId);
    }

    /** The CU of the workspace's service on the group (DS-5: it holds them in DATA_SERVICE); a running one restarts with them. */
    public ServiceInstances.ApiServiceInfo resizeService(Principal caller, String groupId, ServiceRequest r) {
        requireNonNullField(r.workspaceId(), "workspaceId");
        requireRole(caller, r.workspaceId(), "size DataService services", WorkspaceRole.ADMIN, WorkspaceRole.OPERATOR);
        if (r.cu() == null) {
            throw SrgException.invalid("cu", "MissingParameter", "cu is required (a multiple of 0.25)");
        }
        if (r.cu().compareTo(DataServiceKind.MAX_CU) > 0) {
            throw SrgException.invalid("cu", "InvalidParameter.Cu.TooLarge", "a DATA_SERVICE service may use at most "
                    + DataServiceKind.MAX_CU);
        }
        if (!workspaces.isAssociated(r.workspaceId(), groupId)) {
            throw SrgException.invalid("resourceGroupId", "InvalidParameter.ResourceGroup.NotAssociated",
                    "resource group '" + groupId + "' is not associated with workspace '" + r.workspaceId() + "'");
        }
        // SPEC RG-4: a group being released is still associated until RELEASED, but takes nothing new
        String status = jdbi.withHandle(h -> h.createQuery("SELECT status FROM resource_groups WHERE id = :id").bind("id", groupId)
                .mapTo(String.class).findOne()).orElse(GroupStatus.RELEASED.name());
        ResourceGroupManager.requireNotReleased(groupId, GroupStatus.valueOf(status), "resourceGroupId");
        services.resize(r.workspaceId(), groupId, r.cu());
        try {
            // a published API's service starts again at once with the new CU (queued until the stopped one's are back)
            services.reconcile(r.workspaceId(), groupId, () -> published(r.workspaceId(), groupId));
        } catch (SrgException e) {
            if (e.status() != 400) {
                throw e;
            }
            // the CU are set; the service starts once they fit the group (its quota raised, the group scaled
            // out): calls get 503 ...DataService.Quota until then
            LOG.info("dataservice: the service of workspace {} on group {} waits for its {} to fit: {}", r.workspaceId(),
                    groupId, r.cu(), e.detail());
        }
        // the new service, or the stopped one saying STOPPING until its process has ended
        return services.info(r.workspaceId(), groupId);
    }

    // ---- helpers ----

    /** Request values as text lists: a JSON scalar's text, an array's items (IN). */
    static Map<String, List<String>> values(Map<String, Object> params, String fieldPrefix) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (params == null) {
            return out;
        }
        params.forEach((k, v) -> {
            if (v == null) {
                return;
            }
            if (v instanceof List<?> list) {
                List<String> items = new ArrayList<>();
                for (Object o : list) {
                    items.add(scalar(fieldPrefix + k, o));
                }
                out.put(k, items);
            } else {
                out.put(k, List.of(scalar(fieldPrefix + k, v)));
            }
        });
        return out;
    }

    private static String scalar(String field, Object v) {
        if (v instanceof String || v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        throw SrgException.invalid(field, "InvalidParameter.DataService.ParameterValue",
                field + " must be text, a number, a boolean or a list of them");
    }

    static String hash(ApiDefinition d) {
        return sha256(Json.write(d));
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String token(int bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(bytes));
    }

    private static String stripSlashes(String s) {
        String out = s.strip();
        while (out.startsWith("/")) {
            out = out.substring(1);
        }
        while (out.endsWith("/")) {
            out = out.substring(0, out.length() - 1);
        }
        return out;
    }

    private static String checkPath(String path) {
        if (path == null || stripSlashes(path).isEmpty()) {
            throw SrgException.invalid("path", "MissingParameter", "path is required (e.g. 'orders/by-id')");
        }
        String p = stripSlashes(path);
        if (!PATH.matcher(p).matches()) {
            throw SrgException.invalid("path", "InvalidParameter.DataService.Path", "path is 1 to 8 segments of letters, digits,"
                    + " '_' or '-', got '" + path + "'");
        }
        return p;
    }

    private static void requireNonNullField(Object value, String field) {
        if (value == null || value instanceof String s && s.isBlank()) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required");
        }
    }

    private static SrgException unique(UnableToExecuteStatementException e, String code, String field, String detail) {
        if (e.getCause() instanceof SQLException s && "23505".equals(s.getSQLState())) {
            return SrgException.conflict(code, field, detail);
        }
        throw e;
    }

    private WorkspaceRole requireMember(Principal caller, String workspaceId) {
        return workspaces.requireMember(caller, workspaceId);
    }

    private void memberOrNotFound(Principal caller, String workspaceId, String what, String id) {
        try {
            requireMember(caller, workspaceId);
        } catch (SrgException e) {
            throw SrgException.notFound(what, id); // not a member: as if it did not exist
        }
    }

    private void requireRole(Principal caller, String workspaceId, String action, WorkspaceRole... allowed) {
        WorkspaceRole role = requireMember(caller, workspaceId);
        for (WorkspaceRole a : allowed) {
            if (a == role) {
                return;
            }
        }
        throw SrgException.forbidden("Forbidden.WorkspaceRole", "only a workspace " + List.of(allowed) + " of '" + workspaceId
                + "' may " + action + "; you are " + role);
    }
}
