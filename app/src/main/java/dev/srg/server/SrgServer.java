package dev.srg.server;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AccessManager;
import dev.srg.access.AuditLog;
import dev.srg.api.ApiServer;
import dev.srg.api.LifecycleApi;
import dev.srg.billing.Meter;
import dev.srg.billing.OrderBook;
import dev.srg.cluster.Cluster;
import dev.srg.cluster.ClusterMetrics;
import java.util.concurrent.atomic.AtomicBoolean;
import dev.srg.group.ResourceGroupLifecycle;
import dev.srg.task.InstanceActivity;
import dev.srg.task.InstanceWorkload;
import dev.srg.time.ClockControl;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;
import dev.srg.console.Console;
import dev.srg.console.AlertRulesAdapter;
import dev.srg.console.BillingRecordsAdapter;
import dev.srg.console.ConsoleExtensions;
import dev.srg.console.GroupLifecycleAdapter;
import dev.srg.group.ResourceGroupManager;
import dev.srg.group.ResourceGroupProvisioner;
import dev.srg.monitor.Monitoring;
import dev.srg.execution.local.LocalBackendConfig;
import dev.srg.execution.local.LocalExecutionBackend;
import dev.srg.execution.kubernetes.KubernetesRegions;
import dev.srg.execution.kubernetes.KubernetesStoreView;
import dev.srg.network.NetworkManager;
import dev.srg.execution.ExecutionBackendFactory;
import dev.srg.execution.TaskKind;
import dev.srg.execution.TaskKinds;
import dev.srg.datasource.DataSourceManager;
import dev.srg.datasource.DataSourceStore;
import dev.srg.datasource.SecretBox;
import dev.srg.sync.DataIntegrationKind;
import dev.srg.sync.SyncMonitor;
import dev.srg.sync.SyncRuntime;
import dev.srg.group.AdmissionLimitsReader;
import dev.srg.image.ImageBuildKind;
import dev.srg.image.ImageManager;
import dev.srg.image.Recipe;
import dev.srg.group.GroupNetworkContext;
import dev.srg.region.Region;
import dev.srg.region.RegionCatalog;
import dev.srg.store.Database;
import dev.srg.store.EmbeddedPostgres;
import dev.srg.task.InstanceDispatcher;
import dev.srg.task.InstanceManager;
import dev.srg.task.LaunchContext;
import dev.srg.task.RunRecords;
import dev.srg.time.BackgroundJobs;
import dev.srg.time.SimulatedClock;
import dev.srg.time.SimulatedClockDao;
import dev.srg.workspace.WorkspaceManager;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every part by hand, in dependency order, and closes them in
 * reverse. Tests start the very same server on a random port.
 */
public final class SrgServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SrgServer.class);

    private final ServerConfig config;
    private final ServerExtensions extensions;
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    /** The Kubernetes backends as the dispatcher created them (DataService reaches its workers' Pods through them). */
    private final List<dev.srg.execution.kubernetes.KubernetesExecutionBackend> kubernetesBackends =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private ApiServer api;
    /** The embedded PostgreSQL, or null on an external database. */
    private EmbeddedPostgres embedded;
    private Optional<String> bootstrapToken = Optional.empty();
    private BackgroundJobs jobs;
    private ClockControl clockControl;
    /** The port the API listens on, once it does (the cluster's heartbeat reads it from its own thread). */
    private volatile int listening;

    private SrgServer(ServerConfig config, ServerExtensions extensions) {
        this.config = requireNonNull(config, "config is null");
        this.extensions = requireNonNull(extensions, "extensions is null");
    }

    public static SrgServer start(ServerConfig config) throws IOException {
        return start(config, ServerExtensions.NONE);
    }

    /** Starts a server with more task kinds or backends (tests; production has none). */
    public static SrgServer start(ServerConfig config, ServerExtensions extensions) throws IOException {
        SrgServer server = new SrgServer(config, extensions);
        try {
            server.startParts();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void startParts() throws IOException {
        StartTimeline timeline = new StartTimeline();
        Path dataDir = config.dataDir();
        Files.createDirectories(dataDir);
        lockDataDir(dataDir);
        // a restore that did not finish (srg restore, killed or failed): its database is not whole
        dev.srg.backup.Restore.refuseUnfinished(dataDir);
        Path runtimeDir = RuntimeDirectory.resolve(dataDir);

        Database database = openDatabase(runtimeDir, timeline);
        timeline.mark("database");
        closeables.push(database);
        // SPEC HA-1: every server serves; only the lease's holder admits, dispatches and runs the jobs
        Cluster cluster = Cluster.join(database, config.cluster(), dataDir);
        closeables.push(cluster);

        Clock clock = config.simulatedClock() ? SimulatedClock.startingNow() : Clock.systemUTC();
        BackgroundJobs jobs = new BackgroundJobs();
        this.jobs = jobs;
        closeables.push(jobs);
        AtomicBoolean dispatching = new AtomicBoolean();
        // the jobs wait for the API to listen: on a loaded machine their first rounds (metering, sampling)
        // took the CPU the start needs, and what they do is due work, done late and idempotently
        AtomicBoolean serving = new AtomicBoolean();
        jobs.onlyWhile(() -> serving.get() && dispatching.get() && cluster.leading());
        RegionCatalog regions = config.regionsFile() == null ? RegionCatalog.defaults() : RegionCatalog.load(config.regionsFile());
        var jdbi = database.jdbi();
        if (clock instanceof SimulatedClock simulated) {
            // a restart keeps the simulated time, before anything reads it (admission derives scheduled quotas from it)
            Duration offset = new SimulatedClockDao(jdbi).savedOffset();
            if (offset.isPositive()) {
                simulated.advance(offset);
                LOG.info("simulated clock restored to {} ({} ahead)", simulated.instant(), simulated.offset());
            }
        }
        AccessManager access = new AccessManager(jdbi, clock);
        AuditLog audit = new AuditLog(jdbi, clock);
        NetworkManager networks = new NetworkManager(jdbi, regions, clock);
        // SPEC DI-1: data-source passwords under a key in the data directory (0600), or the operator's (--datasource-key-file)
        SecretBox secretBox = SecretBox.openOrCreate(config.dataSourceKey());
        DataSourceStore dataSourceStore = new DataSourceStore(jdbi, secretBox);
        // ... the one this database's secrets are sealed with: a cluster's server given a key of its own does not start
        if (dataSourceStore.checkKey(config.dataSourceKey().toString(), config.dataSourceKeyReset()) == DataSourceStore.KeyCheck.RESET) {
            LOG.warn("the data-source key {} is now this database's key (--datasource-key-reset): the passwords and app secrets"
                    + " sealed with the old key cannot be read until they are set again", config.dataSourceKey());
        }
        // SPEC RT-1: custom images in the data directory (root only), built as IMAGE_BUILD tasks
        Path imagesDir = dataDir.resolve("images");
        InstanceDispatcher dispatcher = new InstanceDispatcher(jdbi, clock, new AdmissionLimitsReader(jdbi, clock),
                taskKinds(dataSourceStore, secretBox, runtimeDir, jdbi, imagesDir), backends(runtimeDir, regions, imagesDir, jdbi), regions::backendOf,
                LaunchContext.of(new GroupNetworkContext(jdbi)));
        closeables.push(dispatcher);
        OrderBook orders = new OrderBook(jdbi, config.prices());
        ResourceGroupProvisioner provisioner = new ResourceGroupProvisioner(config.provisioningDelay());
        closeables.push(provisioner);
        // DataService: a service that did not fit its group is tried again at once when the group's limits change
        dev.srg.dataservice.StartFailures dataServiceStartFailures = new dev.srg.dataservice.StartFailures();
        ResourceGroupManager groups = new ResourceGroupManager(jdbi, regions, networks, access, clock,
                dispatcher::running, List.of(dispatcher::limitsChanged, dataServiceStartFailures), orders, provisioner);
        WorkspaceManager workspaces = new WorkspaceManager(jdbi, regions, groups, access, clock);
        // work-preserving restart: re-attach to what runs, finish what ended, before serving; a follower
        // hands its work to the leader and does the same when it takes over
        dispatcher.follow(cluster::forward);
        timeline.mark("backends");
        cluster.start(this::address, () -> {
            dispatcher.start();
            dispatching.set(true);
        }, SrgServer::stopOnLostLease, dispatcher::work);
        timeline.mark("ledgers");
        LifecycleApi lifecycle = startLifecycle(jdbi, clock, jobs, groups, orders, workspaces, dispatcher);
        InstanceManager instances = new InstanceManager(jdbi, clock, groups, workspaces, dispatcher, config.prices(),
                lifecycle.lifecycle(), id -> ImageManager.requireUsable(jdbi, id));
        ImageManager images = new ImageManager(jdbi, clock, config.images(), imagesDir, instances);
        images.prepareDirectory();
        // builds that ended while the server was down, what crashed builds left: settled by the leader's
        // job (its first run comes right after this server takes the lease), never by a follower
        jobs.register("images", Duration.ofSeconds(2), images::settle);

        bootstrapToken = access.bootstrap(dataDir.resolve("admin.token"));
        groups.resumeProvisioning();

        timeline.mark("managers");
        Monitoring monitoring = Monitoring.start(jdbi, clock, groups, dispatcher, jobs, config.monitor());
        closeables.push(monitoring);
        timeline.mark("monitoring");
        DataSourceManager dataSources = new DataSourceManager(jdbi, clock, workspaces, dataSourceStore);
        // SPEC BEY-2: a switch of scheduled quota profile re-runs admission as a quota change does
        dev.srg.group.QuotaScheduleManager schedules = new dev.srg.group.QuotaScheduleManager(jdbi, clock, groups);
        jobs.register("quota-schedules", Duration.ofSeconds(15), schedules::runDue);
        // SPEC BEY-3: budgets measured by the chargeback report; thresholds notified once a month
        dev.srg.billing.ChargebackReport chargeback = new dev.srg.billing.ChargebackReport(jdbi, clock, config.prices());
        dev.srg.billing.BudgetManager budgets = new dev.srg.billing.BudgetManager(jdbi, clock, chargeback,
                monitoring.alerts().sender(dev.srg.billing.BudgetManager.WEBHOOK_TIMEOUT, "srg-budgets/1"), g -> {
                    dispatcher.limitsChanged(g);
                    dataServiceStartFailures.limitsChanged(g);
                });
        jobs.register("budgets", Duration.ofSeconds(30), budgets::runDue);
        ApiServer.Features features = new ApiServer.Features(access, audit, regions, networks, groups, workspaces, instances,
                lifecycle, new dev.srg.connectivity.ConnectivityTests(jdbi, instances, new GroupNetworkContext(jdbi)::of,
                        dataSources::get),
                new dev.srg.privatezone.PrivateZones(jdbi, clock), dataSources,
                new SyncMonitor(instances, new GroupNetworkContext(jdbi)::of), images,
                new dev.srg.api.BeyondApi(chargeback, instances, schedules, budgets), cluster::view,
                dataService(jdbi, clock, runtimeDir, instances, workspaces, dataSourceStore, secretBox, monitoring,
                        dataServiceStartFailures),
                new dev.srg.backup.OnlineBackup(embedded, new dev.srg.backup.OnlineBackup.Sources(runtimeDir,
                        config.dataSourceKey(), database.schema(), cluster.serverId(), config.regionsFile(), Map.of(
                                "simulated-clock", Boolean.toString(config.simulatedClock()),
                                "network-enforcement", config.networkEnforcement().name().toLowerCase(java.util.Locale.ROOT))),
                        Clock.systemUTC()));
        ClusterMetrics.register(monitoring.metrics().registry(), cluster);
        timeline.mark("features");
        // the web console: same app, same port, same managers (so the same authorization)
        Console console = new Console(features, consoleExtensions(groups, lifecycle, monitoring), clock, Clock.systemUTC(),
                config.consoleSecureCookies());
        closeables.push(console);
        timeline.mark("console");
        api = new ApiServer(features, monitoring, database, config.host(), config.port(), config.http(), console::register);
        closeables.push(api);
        timeline.mark("routes");
        api.start();
        listening = api.port();
        serving.set(true);
        timeline.mark("listen");
        LOG.info("srg listening on {}:{} (data {}); {}", config.host(), api.port(), dataDir, timeline.summary());
    }

    /** The built-in task kinds (those that really work) and any an extension adds. */
    private TaskKinds taskKinds(DataSourceStore dataSources, SecretBox secrets, Path runtimeDir, Jdbi jdbi, Path imagesDir) {
        List<TaskKind> kinds = new ArrayList<>(TaskKinds.builtIn());
        kinds.add(new dev.srg.connectivity.ConnectivityTestKind());
        // SPEC DI-2: batch sync, a worker from this jar started as the task
        SyncRuntime workers = SyncRuntime.of(runtimeDir.resolve("sync-lib"));
        kinds.add(new DataIntegrationKind(dataSources, workers, key -> dev.srg.sync.SyncRuns.unreported(jdbi, key)));
        kinds.add(new ImageBuildKind(config.images(), imagesDir, id -> ImageManager.building(jdbi, id)));
        // SPEC DS-5: the DataService worker, a service instance on the API's group
        kinds.add(new dev.srg.dataservice.DataServiceKind(workers, secrets));
        kinds.addAll(extensions.kinds());
        return new TaskKinds(kinds);
    }

    /**
     * DataService (SPEC DS-1..DS-6): the services on the groups, the gateway of /data/ and the
     * definitions. A worker's socket is in its run's home, where the local backend keeps it.
     */
    private ApiServer.DataService dataService(Jdbi jdbi, Clock clock, Path runtimeDir, InstanceManager instances,
                                              WorkspaceManager workspaces, DataSourceStore dataSources, SecretBox secrets,
                                              Monitoring monitoring, dev.srg.dataservice.StartFailures startFailures) {
        Path instancesDir = taskDirectory(runtimeDir);
        // a run on a Kubernetes backend is reached at its Pod's address; else at its socket in the local backend's home
        dev.srg.dataservice.ServiceInstances services = new dev.srg.dataservice.ServiceInstances(jdbi, clock, instances, secrets,
                runId -> kubernetesBackends.stream().map(b -> b.dataServiceAddress(runId)).flatMap(java.util.Optional::stream)
                        .findFirst().map(dev.srg.dataservice.WorkerEndpoint::tcp).orElseGet(() -> dev.srg.dataservice.WorkerEndpoint
                                .unix(instancesDir.resolve(runId).resolve("home").resolve("dataservice.sock"))), startFailures,
                new dev.srg.dataservice.AnswerBudget(config.http().answerBudgetBytes() > 0 ? config.http().answerBudgetBytes()
                        : dev.srg.dataservice.AnswerBudget.forHeap(Runtime.getRuntime().maxMemory())));
        closeables.push(services);
        dev.srg.dataservice.DataServiceGateway gateway = new dev.srg.dataservice.DataServiceGateway(jdbi, clock, dataSources, secrets,
                services, monitoring.metrics().registry());
        closeables.push(gateway);
        jobs.register("dataservice-nonces", Duration.ofMinutes(1), gateway::purgeNonces);
        dev.srg.dataservice.DataServiceManager manager = new dev.srg.dataservice.DataServiceManager(jdbi, clock, workspaces,
                dataSources, secrets, services, gateway::routesChanged);
        // SPEC DS-5: a service with nothing published (a stop a crash missed, a tested draft) does not hold CU for good
        jobs.register("dataservice-idle", Duration.ofSeconds(30), manager::stopIdleServices);
        return new ApiServer.DataService(manager, gateway);
    }

    /** Where local tasks live: a cluster's servers on one machine share it, so a new leader re-attaches to the old one's tasks. */
    private Path taskDirectory(Path runtimeDir) {
        return config.cluster().taskDirectory() != null ? config.cluster().taskDirectory() : runtimeDir.resolve("instances");
    }

    /** The backends by name: {@code local}, and any an extension adds; every region must name one of them. */
    private Map<String, ExecutionBackendFactory> backends(Path runtimeDir, RegionCatalog regions, Path imagesDir, Jdbi jdbi)
            throws IOException {
        Map<String, ExecutionBackendFactory> backends = new LinkedHashMap<>();
        Path taskDir = taskDirectory(runtimeDir);
        backends.put("local", listener -> new LocalExecutionBackend(
                config.localBackend().apply(LocalBackendConfig.defaults(taskDir)
                        .withNetworkEnforcement(config.networkEnforcement())), listener,
                id -> Recipe.isImageId(id) ? Optional.of(ImageManager.rootOf(imagesDir, id)) : Optional.empty()));
        // SPEC HA-3: regions on a Kubernetes cluster (docs/kubernetes.md); the quota follows the group's CUs
        if (config.regionsFile() != null) {
            AdmissionLimitsReader limits = new AdmissionLimitsReader(jdbi, Clock.systemUTC());
            java.util.function.Function<String, java.util.OptionalLong> capacity = groupId -> {
                try {
                    return java.util.OptionalLong.of(limits.read(groupId).capacityMilliCu());
                } catch (RuntimeException e) {
                    return java.util.OptionalLong.empty();
                }
            };
            var store = new KubernetesStoreView(capacity, limits::released, new RunRecords(jdbi)::settled);
            // ended Pods' logs are kept in the database, so that every server reads them, on any machine
            var keptLogs = new dev.srg.task.KeptRunLogs(jdbi, LocalBackendConfig.DEFAULT_MAX_OUTPUT_BYTES);
            KubernetesRegions.load(config.regionsFile()).forEach((name, k8s) -> {
                var factory = KubernetesRegions.factory(name, k8s, store, keptLogs);
                if (backends.putIfAbsent(name, listener -> {
                    var backend = factory.create(listener);
                    if (backend instanceof dev.srg.execution.kubernetes.KubernetesExecutionBackend k) {
                        kubernetesBackends.add(k); // DataService calls find their workers' Pods through it
                    }
                    return backend;
                }) != null) {
                    throw new IllegalArgumentException("backend '" + name + "' is defined twice");
                }
            });
        }
        extensions.backends().forEach((name, factory) -> {
            if (backends.putIfAbsent(name, factory) != null) {
                throw new IllegalArgumentException("backend '" + name + "' is defined twice");
            }
        });
        List<String> problems = new ArrayList<>();
        for (Region r : regions.list()) {
            if (!backends.containsKey(r.backend())) {
                problems.add("region '" + r.id() + "' names backend '" + r.backend() + "', which this server does not have "
                        + backends.keySet());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        return backends;
    }

    /** Lifecycle, billing and time (SPEC RG-3..RG-9): orders, the meter, the jobs, the clock's control. */
    private LifecycleApi startLifecycle(Jdbi jdbi, Clock clock, BackgroundJobs jobs, ResourceGroupManager groups, OrderBook orders,
                                        WorkspaceManager workspaces, InstanceDispatcher dispatcher) {
        Meter meter = new Meter(jdbi, clock, config.prices());
        ResourceGroupLifecycle lifecycle = new ResourceGroupLifecycle(jdbi, clock, groups, orders, config.lifecycle(),
                new InstanceWorkload(jdbi, clock, dispatcher), List.of(new InstanceActivity(jdbi)),
                List.of(workspaces::groupReleased));
        jobs.register("lifecycle", Duration.ofSeconds(5), lifecycle::runDue);
        jobs.register("metering", Duration.ofSeconds(30), meter::run);
        ClockControl control = null;
        if (clock instanceof SimulatedClock simulated) {
            control = new ClockControl(simulated, jobs, new SimulatedClockDao(jdbi)::saveOffset);
        }
        this.clockControl = control;
        return new LifecycleApi(lifecycle, orders, meter, control);
    }

    /** The console's lifecycle, billing, alert-rule and usage-history pages, on the managers the API uses. */
    private static ConsoleExtensions consoleExtensions(ResourceGroupManager groups, LifecycleApi lifecycle, Monitoring monitoring) {
        return new ConsoleExtensions(
                new GroupLifecycleAdapter(lifecycle.lifecycle(), groups, lifecycle.orders()),
                new BillingRecordsAdapter(lifecycle.orders(), lifecycle.meter()),
                new AlertRulesAdapter(monitoring.alerts()),
                monitoring.history()::history);
    }

    private Database openDatabase(Path runtimeDir, StartTimeline timeline) throws IOException {
        if (config.databaseUrl() != null) {
            return Database.open(config.databaseUrl(), config.databaseUser(), config.databasePassword(), 20);
        }
        EmbeddedPostgres pg = EmbeddedPostgres.start(runtimeDir);
        closeables.push(pg);
        embedded = pg;
        timeline.mark("postgres");

        try (var c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
             var s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*) FROM pg_database WHERE datname = 'srg'")) {
            rs.next();
            if (rs.getInt(1) == 0) {
                s.execute("CREATE DATABASE srg");
            }
        } catch (SQLException e) {
            throw new IOException("cannot prepare the embedded database: " + e.getMessage(), e);
        }
        Database database = Database.open(pg.jdbcUrl("srg"), pg.user(), pg.password(), 20);
        // a postmaster that dies under us (killed, crashed) is started again; the pool reconnects at once
        pg.supervise(database::suspect);
        return database;
    }

    /** One server per data directory: a second one would run every task twice. */
    private void lockDataDir(Path dataDir) throws IOException {
        FileChannel channel = FileChannel.open(dataDir.resolve("srg.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            throw new IOException("another srg server is using the data directory " + dataDir);
        }
        closeables.push(channel);
    }

    /** How the other servers reach this one ({@code GET /cluster}). */
    private String address() {
        if (config.cluster().address() != null) {
            return config.cluster().address();
        }
        String host = config.host();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "localhost";
            }
        }
        return "http://" + host + ":" + (listening != 0 ? listening : config.port());
    }

    /**
     * Another server took the lease (this one was paused, or cut off from the database): stop at
     * once, as a kill would. Whatever it was doing is the new leader's; the fence refuses its
     * writes meanwhile, and its tasks keep running for the new leader to re-attach to. A
     * supervisor (systemd's Restart=always, Kubernetes) starts it again, as a follower.
     */
    private static void stopOnLostLease() {
        System.err.println("srg: this server lost the cluster's lease to another server; stopping (exit 3)");
        Runtime.getRuntime().halt(3);
    }

    public int port() {
        return api.port();
    }

    /** Every route the HTTP app serves, {@code METHOD /path} (ApiServer#routes). */
    public java.util.List<String> routes() {
        return api.routes();
    }

    public ServerConfig config() {
        return config;
    }

    /** The bootstrap administrator's token when this start created it (shown once). */
    public Optional<String> bootstrapToken() {
        return bootstrapToken;
    }

    /**
     * Moves the simulated clock forward and runs every background job once (the catch-up), as
     * the clock endpoint does; for tests and demos.
     *
     * @throws IllegalStateException when the server does not run on a simulated clock
     */
    public java.time.Instant advanceClock(java.time.Duration by) {
        if (clockControl == null) {
            throw new IllegalStateException("the server does not run on a simulated clock (--simulated-clock)");
        }
        return clockControl.advance(by);
    }

    /** Runs every background job once now (tests: no waiting for the next tick). */
    public void runBackgroundJobs() {
        jobs.runAllNow();
    }

    @Override
    public void close() {
        while (!closeables.isEmpty()) {
            AutoCloseable c = closeables.pop();
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
