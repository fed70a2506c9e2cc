package dev.srg.sync;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.UsageType;
import dev.srg.datasource.DataSourceConnection;
import dev.srg.datasource.DataSourceInfo;
import dev.srg.datasource.DataSourceStore;
import dev.srg.datasource.DataSourceType;
import dev.srg.error.SrgException;
import dev.srg.execution.LaunchCommand;
import dev.srg.execution.TaskKind;
import dev.srg.json.Json;
import dev.srg.quantity.ComputeUnits;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Batch sync tasks (SPEC DI-2): usage type DATA_INTEGRATION, at most 16 CU (ADM-3), payload
 * {@code sync}. The job is checked at submission ({@link SyncJob}); the data sources it names are
 * resolved in the task's workspace and stored by id. At launch the job goes to the worker as
 * {@code job.json} in the task's private home, with the connections and their passwords: a file
 * only the task's uid (and root) can read — never an argument or an environment variable.
 */
public final class DataIntegrationKind implements TaskKind {
    /** SPEC ADM-3: batch sync tasks at most 16 CU. */
    public static final ComputeUnits MAX_CU = ComputeUnits.ofCu(16);
    static final String JOB_FILE = "job.json";

    private final DataSourceStore dataSources;
    private final SyncRuntime runtime;
    /** A run key's instances whose completion mark may not have been reported ({@link SyncRuns#unreported}). */
    private final Function<String, List<String>> unreportedRuns;

    public DataIntegrationKind(DataSourceStore dataSources, SyncRuntime runtime, Function<String, List<String>> unreportedRuns) {
        this.dataSources = requireNonNull(dataSources, "dataSources is null");
        this.runtime = requireNonNull(runtime, "runtime is null");
        this.unreportedRuns = requireNonNull(unreportedRuns, "unreportedRuns is null");
    }

    @Override
    public String name() {
        return "DATA_INTEGRATION";
    }

    @Override
    public UsageType usageType() {
        return UsageType.DATA_INTEGRATION;
    }


    @Override
    public ComputeUnits maxCu() {
        return MAX_CU;
    }


    @Override
    public Map<String, Object> payload(Map<String, Object> submittedFields) {
        TaskKind.requireOnly(submittedFields, java.util.Set.of("sync"), "a DATA_INTEGRATION task", "a sync job");
        if (submittedFields.get("sync") == null) {
            throw SrgException.invalid("sync", "MissingParameter", "sync (the job: setting, reader, writer) is required for a"
                    + " DATA_INTEGRATION task");
        }
        return Map.of("sync", SyncJob.normalize(submittedFields.get("sync")));
    }

    /** The data sources the job names, found in the task's workspace and of the plugin's type. */
    @Override
    public Map<String, Object> resolve(String workspaceId, String taskName, Map<String, Object> payload) {
        @SuppressWarnings("unchecked")
        Map<String, Object> job = (Map<String, Object>) payload.get("sync");
        if (job.containsKey("watermark") && (taskName == null || taskName.isBlank())) {
            // SPEC DI-6: the watermark is kept per task name and workspace
            throw SrgException.invalid("name", "MissingParameter", "an incremental sync (watermark) needs a name: its watermark"
                    + " is kept per task name and workspace");
        }
        Map<String, Object> ids = new LinkedHashMap<>();
        for (String role : List.of("reader", "writer")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> side = (Map<String, Object>) job.get(role);
            String plugin = (String) side.get("plugin");
            String name = (String) SyncJob.params(side).get("datasource");
            String field = "sync." + role + ".parameter.datasource";
            DataSourceInfo ds = dataSources.findByName(workspaceId, name).orElseThrow(() -> SrgException.invalid(field,
                    "InvalidParameter.Sync.DataSource", "workspace '" + workspaceId + "' has no data source named '" + name + "'"));
            DataSourceType expected = switch (plugin) {
                case "postgresql" -> DataSourceType.POSTGRESQL;
                case "mysql" -> DataSourceType.MYSQL;
                default -> DataSourceType.CSV;
            };
            if (ds.type() != expected) {
                throw SrgException.invalid(field, "InvalidParameter.Sync.DataSourceType", "data source '" + name + "' is "
                        + ds.type() + " but the " + role + " plugin " + plugin + " needs " + expected);
            }
            ids.put(role, ds.id());
        }
        Map<String, Object> out = new LinkedHashMap<>(payload);
        out.put("dataSourceIds", ids);
        if (job.containsKey("watermark")) {
            out.put("watermarkKey", workspaceId + "/" + taskName.strip());
        }
        // SPEC DI-7: the same job submitted again has the same key, whatever its setting (the worker's run key, with the
        // data sources by id where the worker has their connections)
        Map<String, Object> keyed = new LinkedHashMap<>(job);
        keyed.put("dataSourceIds", ids);
        if (out.get("watermarkKey") != null) {
            keyed.put("watermarkKey", out.get("watermarkKey"));
        }
        out.put(SyncRuns.PAYLOAD_KEY, SyncMain.runKey(keyed));
        return out;
    }

    @Override
    public LaunchCommand command(Map<String, Object> payload) {
        @SuppressWarnings("unchecked")
        Map<String, Object> job = (Map<String, Object>) payload.get("sync");
        @SuppressWarnings("unchecked")
        Map<String, Object> ids = (Map<String, Object>) payload.get("dataSourceIds");
        if (job == null || ids == null) {
            throw new IllegalArgumentException("a DATA_INTEGRATION payload needs sync and dataSourceIds");
        }
        Map<String, Object> worker = new LinkedHashMap<>(job);
        if (payload.get("watermarkKey") != null) {
            worker.put("watermarkKey", payload.get("watermarkKey"));
        }
        if (payload.get(SyncRuns.PAYLOAD_KEY) instanceof String key) {
            // SPEC DI-7: a completion mark of one of these in the writer's database is a run killed before it reported
            worker.put(SyncMain.UNREPORTED_RUNS, unreportedRuns.apply(key));
        }
        for (String role : List.of("reader", "writer")) {
            String id = (String) ids.get(role);
            DataSourceConnection c = dataSources.connection(id).orElseThrow(() -> new IllegalStateException(
                    "the " + role + "'s data source " + id + " was deleted after the task was submitted"));
            @SuppressWarnings("unchecked")
            Map<String, Object> side = new LinkedHashMap<>((Map<String, Object>) job.get(role));
            Map<String, Object> connection = new LinkedHashMap<>();
            connection.put("type", c.type().name());
            connection.put("host", c.host());
            connection.put("port", c.port());
            connection.put("database", c.database());
            connection.put("user", c.user());
            connection.put("password", c.password());
            connection.put("path", c.path());
            side.put("connection", connection);
            worker.put(role, side);
        }
        return new LaunchCommand(runtime.argv(JOB_FILE), Map.of(JOB_FILE, Json.MAPPER.writeValueAsString(worker)), Map.of());
    }

    @Override
    public String toString() {
        return name();
    }
}
