package dev.srg.api;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AccessManager;
import dev.srg.access.AuditAction;
import dev.srg.access.AuditEntry;
import dev.srg.access.AuditLog;
import dev.srg.access.AuditResult;
import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.datasource.DataSourceManager;
import dev.srg.group.ResourceGroupManager;
import dev.srg.sync.SyncMonitor;
import dev.srg.json.Json;
import dev.srg.monitor.Monitoring;
import dev.srg.network.NetworkManager;
import dev.srg.region.RegionCatalog;
import dev.srg.store.Database;
import dev.srg.task.InstanceManager;
import dev.srg.trace.SubmitTrace;
import dev.srg.workspace.WorkspaceManager;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JsonMapper;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.jetbrains.annotations.NotNull;
import tools.jackson.core.JacksonException;

/**
 * The HTTP edge: authentication, routes, problem+json errors, audit of every change, health and
 * the OpenAPI document. It turns JSON into calls on the feature managers and back; no rule lives here.
 */
public final class ApiServer implements AutoCloseable {
    static final String PRINCIPAL = "srg.principal";
    static final String ERROR_CODE = "srg.errorCode";
    static final String RESOURCE_ID = "srg.resourceId";
    static final String DRY_RUN = "srg.dryRun";
    private static final String AUDITED = "srg.audited";
    /** The simulated clock's time on every API answer of a server that runs on one (its ISO instant). */
    public static final String SERVER_CLOCK = "Srg-Clock";
    static final long MAX_BODY_BYTES = 1024 * 1024;
    private static final Set<String> CHANGES = Set.of("POST", "PUT", "PATCH", "DELETE");
    /** The submission's route: what {@link SubmitTrace} keeps. */
    private static final String SUBMIT_ROUTE = ApiRoutes.BASE + "/instances";

    /** Everything the API serves, wired by the composition root. */
    public record Features(AccessManager access, AuditLog audit, RegionCatalog regions, NetworkManager networks,
                           ResourceGroupManager groups, WorkspaceManager workspaces, InstanceManager instances,
                           LifecycleApi lifecycle, dev.srg.connectivity.ConnectivityTests connectivityTests,
                           dev.srg.privatezone.PrivateZones privateZones, DataSourceManager dataSources,
                           SyncMonitor syncs, dev.srg.image.ImageManager images, BeyondApi beyond,
                           java.util.function.Supplier<dev.srg.cluster.Cluster.View> cluster, DataService dataService,
                           dev.srg.backup.OnlineBackup backups) {}

    /** DataService (issue 14): its definitions under /api/v1/dataservice and the calls at /data/...; null: not served. */
    public record DataService(dev.srg.dataservice.DataServiceManager manager, dev.srg.dataservice.DataServiceGateway gateway) {}

    private final Javalin app;
    /** The OpenAPI document, written on its first request: a start (a restart under load) need not pay for it. */
    private final java.util.function.Supplier<String> openApi;

    public ApiServer(Features features, String host, int port) {
        this(features, null, null, host, port, HttpLimits.DEFAULTS, cfg -> { });
    }

    /**
     * @param monitoring usage history, alert rules, {@code /metrics} and HTTP request metrics (or null)
     * @param database the store whose health makes readiness (or null: always ready); while it is
     *     away every API call answers 503 with Retry-After at once
     * @param limits the head deadline and connection limit every connection is held to
     * @param edges other edges served by the same app and port (the web console); they register
     *     their own routes and must leave {@code /api/*}, {@code /healthz}, {@code /livez} and
     *     {@code /readyz} alone
     */
    public ApiServer(Features features, Monitoring monitoring, Database database, String host, int port,
                     HttpLimits limits, Consumer<JavalinConfig> edges) {
        requireNonNull(features, "features is null");
        requireNonNull(limits, "limits is null");
        requireNonNull(edges, "edges is null");
        ApiRoutes[] registry = new ApiRoutes[1];
        this.app = Javalin.create(cfg -> {
            cfg.concurrency.useVirtualThreads = true;
            cfg.http.maxRequestSize = MAX_BODY_BYTES;
            cfg.http.defaultContentType = "application/json";
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.host = host;
            cfg.jetty.port = port;
            cfg.jsonMapper(new JacksonJsonMapper());
            cfg.routes.exception(SrgException.class, Problems::srg);
            cfg.routes.exception(JacksonException.class, Problems::json);
            cfg.routes.exception(HttpResponseException.class, Problems::http);
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                if (Database.isUnavailable(e)) {
                    if (database != null) {
                        database.suspect();
                    }
                    Problems.unavailable(ctx);
                } else if (Database.isDiskFull(e)) {
                    Problems.srg(Problems.diskFull(), ctx);
                } else {
                    Problems.unexpected(e, ctx);
                }
            });
            // errors the HTTP container answers itself (a URI too long, a malformed path): problem+json too
            cfg.jetty.modifyServer(server -> server.setErrorHandler(new ContainerErrors()));
            // liveness: the process serves HTTP; readiness (and /healthz): it can serve the API too
            cfg.routes.get("/livez", ctx -> ctx.json(Map.of("status", "UP")));
            cfg.routes.get("/readyz", ctx -> readiness(ctx, database, features.instances()));
            cfg.routes.get("/healthz", ctx -> readiness(ctx, database, features.instances()));
            // fail fast while the database is away, before anything (authentication included) touches it
            cfg.routes.before("/api/*", ctx -> {
                if (SubmitTrace.ON) {
                    SubmitTrace.begin(ServletContextRequest.getServletContextRequest(ctx.req()).getBeginNanoTime());
                }
                if (database != null && !database.available()) {
                    throw Problems.databaseUnavailable();
                }
            });
            cfg.routes.before("/api/*", Requests::checkParameters);
            dev.srg.time.ClockControl simulated = features.lifecycle().clock();
            if (simulated != null) {
                // the simulated time on every answer: the CLI reckons ages ("in 3d", "5m ago") from it, not from its own clock
                cfg.routes.before("/api/*", ctx -> ctx.header(SERVER_CLOCK, simulated.now().toString()));
            }
            if (monitoring != null) {
                MonitorResource.registerMetrics(cfg.routes, monitoring, features.access());
                cfg.requestLogger.http((ctx, millis) -> {
                    String route = route(ctx);
                    SubmitTrace.end(SUBMIT_ROUTE.equals(route) && "POST".equals(ctx.method().name()), ctx.statusCode());
                    monitoring.metrics().httpRequest(ctx.method().name(), route, ctx.statusCode(), millis);
                });
            }
            cfg.routes.before("/api/*", ctx -> {
                authenticate(ctx, features.access());
                SubmitTrace.mark(SubmitTrace.Phase.AUTHENTICATED);
            });
            cfg.routes.after("/api/*", ctx -> audit(ctx, features.audit(), registry[0]));
            ApiRoutes api = new ApiRoutes(cfg.routes);
            AccessResource.register(api, features.access(), features.audit());
            NetworkResource.register(api, features.regions(), features.networks());
            ResourceGroupResource.register(api, features.groups(), features.lifecycle().lifecycle());
            WorkspaceResource.register(api, features.workspaces());
            InstanceResource.register(api, features.instances(), features.syncs());
            ConnectivityTestResource.register(api, features.connectivityTests());
            PrivateZoneResource.register(api, features.privateZones());
            LifecycleResource.register(api, features.lifecycle());
            DataSourceResource.register(api, features.dataSources(), features.syncs());
            ImageResource.register(api, features.images());
            BeyondResource.register(api, features.beyond());
            ClusterResource.register(api, features.cluster());
            BackupResource.register(api, features.backups(), features.audit());
            if (features.dataService() != null) {
                DataServiceResource.register(api, features.dataService().manager());
                // the calls: served by Jetty in front of Javalin (DataCallHandler says why)
                cfg.jetty.modifyServer(server -> server.setHandler(new DataCallHandler(features.dataService().gateway(), monitoring)));
            }
            if (monitoring != null) {
                MonitorResource.register(api, monitoring);
            }
            registry[0] = api;
            cfg.routes.get(ApiRoutes.BASE + "/openapi.json", ctx -> ctx.contentType("application/json").result(openApi()));
            edges.accept(cfg);
            // last, so it wraps every handler set before (the DataService calls' included): slowloris and descriptor limits
            cfg.jetty.modifyServer(server -> guard(server, limits));
        });
        ApiRoutes routes = registry[0];
        this.openApi = memoized(() -> Json.write(OpenApiDocument.build(routes.operations())));
    }

    /**
     * {@link HttpLimits} on the Jetty server: the head deadline's guard first in the handler chain and
     * listening to every connector's connections, the connection limit on the acceptors.
     */
    private static void guard(org.eclipse.jetty.server.Server server, HttpLimits limits) {
        ConnectionGuard guard = new ConnectionGuard(server.getHandler(), limits.headTimeout());
        server.setHandler(guard);
        server.addBean(new org.eclipse.jetty.server.NetworkConnectionLimit(limits.connections(), server));
        // the connectors are made after this runs (Javalin adds them at its start): listen to theirs as the server starts
        server.addEventListener(new org.eclipse.jetty.util.component.LifeCycle.Listener() {
            @Override
            public void lifeCycleStarting(org.eclipse.jetty.util.component.LifeCycle event) {
                for (org.eclipse.jetty.server.Connector connector : server.getConnectors()) {
                    connector.addEventListener(guard);
                }
            }
        });
    }

    /**
     * Ready when the database is; {@code taskStorage} says whether the disk where tasks run has room
     * ({@code SHORT}, with {@code taskStorageDetail}, while submissions answer 507 and launches wait):
     * reads and everything but new tasks still work then, so it does not make the server unready.
     */
    private static void readiness(Context ctx, Database database, InstanceManager instances) {
        boolean up = database == null || database.available();
        if (!up) {
            ctx.header("Retry-After", Problems.RETRY_AFTER_SECONDS);
        }
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("database", up ? "UP" : "DOWN");
        java.util.Optional<String> full = instances == null ? java.util.Optional.empty() : instances.storageShortage();
        body.put("taskStorage", full.isPresent() ? "SHORT" : "OK");
        full.ifPresent(why -> body.put("taskStorageDetail", why));
        ctx.status(up ? 200 : 503).json(body);
    }

    /** The route template a request matched (bounded label values for metrics), or "unmatched". */
    private static String route(Context ctx) {
        io.javalin.router.Endpoint e = ctx.endpoints().lastHttpEndpoint();
        return e == null ? "unmatched" : e.path;
    }

    private String openApi() {
        return openApi.get();
    }

    private static java.util.function.Supplier<String> memoized(java.util.function.Supplier<String> make) {
        return new java.util.function.Supplier<>() {
            private volatile String made;

            @Override
            public String get() {
                String m = made;
                if (m == null) {
                    synchronized (this) {
                        if (made == null) {
                            made = make.get();
                        }
                        m = made;
                    }
                }
                return m;
            }
        };
    }

    public ApiServer start() {
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    /**
     * Every route the HTTP app serves, as {@code METHOD /path/{param}} (what Javalin routes, not
     * what the OpenAPI document says): a test proves the document leaves none of {@code /api/v1} out.
     */
    public List<String> routes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .map(e -> e.endpoint.method.name() + " " + e.endpoint.path).toList();
    }

    @Override
    public void close() {
        app.stop();
    }

    private static void authenticate(Context ctx, AccessManager access) {
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new SrgException(401, "Unauthorized", null,
                    "authentication required: send Authorization: Bearer <token>");
        }
        Principal principal = access.authenticate(header.substring(7).strip())
                .orElseThrow(() -> new SrgException(401, "Unauthorized", null, "the bearer token is not valid"));
        ctx.attribute(PRINCIPAL, principal);
    }

    /** ACC-5: every change, allowed or refused, with who, what, when and the result. */
    private static void audit(Context ctx, AuditLog audit, ApiRoutes routes) {
        Principal p = ctx.attribute(PRINCIPAL);
        if (p == null || !CHANGES.contains(ctx.method().name()) || Boolean.TRUE.equals(ctx.attribute(DRY_RUN))
                || Boolean.TRUE.equals(ctx.attribute(AUDITED))) {
            return;
        }
        String resource = ctx.attribute(RESOURCE_ID);
        if (resource == null) {
            resource = ctx.pathParamMap().values().stream().reduce((a, b) -> b).orElse(null);
        }
        audit.record(entry(ctx, routes, p, resource, AuditResult.of(ctx.statusCode(), ctx.attribute(ERROR_CODE))));
    }

    private static AuditEntry entry(Context ctx, ApiRoutes routes, Principal p, String resource, AuditResult result) {
        return new AuditEntry(p.name(), AuditAction.api(ctx.method().name(), ctx.path(),
                routes.actionName(ctx.method(), route(ctx))), resource, result, null);
    }

    /**
     * The entry this request gets when it creates {@code id} and answers 201: for a creation that
     * records it in its own transaction (one commit less than after the answer; issue 17). The
     * creation then calls {@link #createdAudited}; a refusal is still audited after the answer.
     */
    static AuditEntry createdEntry(Context ctx, ApiRoutes routes, String id) {
        return entry(ctx, routes, ctx.attribute(PRINCIPAL), id, AuditResult.of(201, null));
    }

    /** {@link #created} for a creation whose transaction committed its {@link #createdEntry}. */
    static void createdAudited(Context ctx, String id, Object body) {
        ctx.attribute(AUDITED, Boolean.TRUE);
        created(ctx, id, body);
    }

    /**
     * Records this request's entry now, with {@code result} (an answer whose status was sent before it
     * could fail: a streamed backup cut short is recorded as failed, not as its 200).
     */
    static void audited(Context ctx, AuditLog audit, ApiRoutes routes, AuditResult result) {
        ctx.attribute(AUDITED, Boolean.TRUE);
        audit.record(entry(ctx, routes, ctx.attribute(PRINCIPAL), ctx.attribute(RESOURCE_ID), result));
    }

    /** A dry run (SPEC BEY-1): it changes nothing, so it is not a change for the audit log. */
    static void dryRun(Context ctx) {
        ctx.attribute(DRY_RUN, Boolean.TRUE);
    }

    /** Answers with {@code status} and {@code body}, remembering the id for the audit log. */
    static void created(Context ctx, String id, Object body) {
        ctx.attribute(RESOURCE_ID, id);
        ctx.status(201).json(body);
    }

    private static final class JacksonJsonMapper implements JsonMapper {
        @Override
        public @NotNull String toJsonString(@NotNull Object obj, @NotNull Type type) {
            return Json.MAPPER.writeValueAsString(obj);
        }

        @Override
        public <T> @NotNull T fromJsonString(@NotNull String json, @NotNull Type targetType) {
            return Json.MAPPER.readValue(json, Json.MAPPER.constructType(targetType));
        }
    }
}
