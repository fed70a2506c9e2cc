package dev.srg.sync;

import dev.srg.sync.SyncValues.Column;
import dev.srg.sync.SyncValues.DirtyValue;
import dev.srg.sync.SyncValues.Kind;
import dev.srg.trace.CrashPoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sync worker: {@code java -cp <srg> dev.srg.sync.SyncMain job.json}, started by the
 * supervisor as the task (its uid, its cgroups). It reads the job with its connections from the
 * file in its private home, plans splits by the split key (SPEC DI-3), copies them on parallel
 * channels (at most 2 per CU and setting.speed.channel) under the job's rate limits, keeps dirty
 * records (DI-4) against errorLimit, reports progress (DI-5), and records each finished split in
 * the writer's database in the transaction that writes its rows (DI-7): a split is all there or
 * not at all, and a rerun of the same job after a crash skips the finished ones.
 *
 * <p>Exit codes: 0 done, 1 failed before any completion commit (the reason in the log and the
 * {@code finished} line), 2 a bad job file, 3 failed after sending a completion commit (whether it was
 * made is not known: the server lists such a run as one whose completion may be unreported, DI-7).
 */
public final class SyncMain {
    static final String STATE_TABLE = "srg_sync_state";
    static final String PLAN_TABLE = "srg_sync_plan";
    static final String WATERMARK_TABLE = "srg_sync_watermark";
    /** The last run of each run key that completed (its commit made), and which instance it was (DI-7). */
    static final String DONE_TABLE = "srg_sync_done";
    /**
     * The job's field the server fills: the same job's instances whose completion mark may not have
     * been reported ({@link SyncRuns#unreported}).
     */
    static final String UNREPORTED_RUNS = "unreportedRuns";
    /** The exit code of a run that failed before it sent any completion commit: the server knows it made no mark. */
    static final int EXIT_FAILED = 1;
    /** The exit code of a run that failed after sending a completion commit (its answer lost, or a failure after it). */
    static final int EXIT_FAILED_AFTER_COMPLETION = 3;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Splits per channel: enough to keep channels busy when ranges are uneven. */
    private static final int SPLITS_PER_CHANNEL = 4;

    private final Map<String, Object> job;
    private final SyncProgress progress;
    private final Map<String, Object> reader;
    private final Map<String, Object> writer;
    private final Map<String, Object> rp;
    private final Map<String, Object> wp;
    private final long errorLimitRecords;
    private final double errorLimitPercentage;
    private final RateLimiter limiter;
    private final int channels;
    private final String runKey;
    /** This run's instance ({@code SRG_INSTANCE_ID}), or "" when started without one (the training run). */
    private final String instanceId;
    /** {@link #UNREPORTED_RUNS}: a completion mark of one of these was never reported (the worker was killed after it). */
    private final List<String> unreportedRuns;
    private volatile String abort;
    /** Whether a completion commit was sent (made or not): a failure after it exits {@link #EXIT_FAILED_AFTER_COMPLETION}. */
    private volatile boolean completionSent;
    /**
     * The writer's connection that holds this run key's lock for the whole run (SPEC DI-7: no two
     * runs of one job copy at once; the lock goes with the connection, so a killed run's is freed).
     */
    private Connection runLock;
    /** Whether the failure that set {@link #abort} may pass on a retry (a lost connection, not errorLimit). */
    private volatile boolean abortRetriable;
    /** setting.retry: attempts after a failed one, and the pause before each. */
    private final int retries;
    private final long retryIntervalMillis;
    /** The database a connection to failed ({role, host, port}): the server says whether the group's network reaches it (DI-8). */
    private volatile Map<String, Object> unreachable;
    private Plan plan;
    /** The channels' writer threads (see copySplit). */
    private ExecutorService writers;
    private String copySql;
    /** The writer's target columns' type names (a PostgreSQL writer's COPY format follows them). */
    private List<String> targetTypes;
    /** The writer's target columns and statement (a database writer). */
    private List<Column> targets;
    private String writeSql;
    /** The file a txtfile writer makes, and its records' format. */
    private CsvFiles.Output output;

    SyncMain(Map<String, Object> job, double cu, PrintStream out) {
        this(job, cu, out, "");
    }

    @SuppressWarnings("unchecked")
    SyncMain(Map<String, Object> job, double cu, PrintStream out, String instanceId) {
        this.job = job;
        this.instanceId = instanceId == null ? "" : instanceId;
        this.unreportedRuns = job.get(UNREPORTED_RUNS) instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
        this.progress = new SyncProgress(out);
        this.reader = (Map<String, Object>) job.get("reader");
        this.writer = (Map<String, Object>) job.get("writer");
        this.rp = (Map<String, Object>) reader.get("parameter");
        this.wp = (Map<String, Object>) writer.get("parameter");
        Map<String, Object> setting = (Map<String, Object>) job.getOrDefault("setting", Map.of());
        Map<String, Object> speed = (Map<String, Object>) setting.getOrDefault("speed", Map.of());
        Map<String, Object> limit = (Map<String, Object>) setting.getOrDefault("errorLimit", Map.of());
        this.errorLimitRecords = limit.get("record") instanceof Number n ? n.longValue() : -1;
        this.errorLimitPercentage = limit.get("percentage") instanceof Number n ? n.doubleValue() : -1;
        this.limiter = new RateLimiter(speed.get("record") instanceof Number n ? n.longValue() : 0,
                speed.get("byte") instanceof Number n ? n.longValue() : 0);
        int asked = speed.get("channel") instanceof Number n ? n.intValue() : 1;
        // SPEC DI-3: the channels are bounded by the task's CU (2 per CU, at least 1)
        this.channels = Math.max(1, Math.min(asked, (int) Math.floor(2 * cu)));
        this.runKey = runKey(job);
        Map<String, Object> retry = (Map<String, Object>) setting.getOrDefault("retry", Map.of());
        this.retries = retry.get("count") instanceof Number n ? n.intValue() : 0;
        this.retryIntervalMillis = retry.get("intervalSeconds") instanceof Number n ? n.longValue() * 1000 : 0;
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: SyncMain job.json");
            System.exit(2);
        }
        Map<String, Object> job;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> read = JSON.readValue(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8), Map.class);
            job = read;
            // the passwords are in memory now: the file need not outlive the start (the home is the task's own)
            try {
                Files.deleteIfExists(Path.of(args[0]));
            } catch (IOException e) {
                System.err.println("could not remove " + args[0] + " after reading it: " + e.getMessage());
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("cannot read the job file " + args[0] + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        String cuText = System.getenv("SRG_CU");
        double cu = cuText == null ? 1 : Double.parseDouble(cuText);
        System.exit(new SyncMain(job, cu, System.out, System.getenv("SRG_INSTANCE_ID")).run());
    }

    /** Runs the job; the exit code. */
    int run() {
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "srg-sync-progress");
            t.setDaemon(true);
            return t;
        });
        try {
            progress.say("srg sync: " + reader.get("plugin") + " -> " + writer.get("plugin") + ", " + channels + " channel(s), run "
                    + runKey.substring(0, 12));
            reporter.scheduleAtFixedRate(progress::report, 1, 1, TimeUnit.SECONDS);
            Map<String, Object> extra = copyWithRetries();
            reporter.shutdownNow();
            sayPeakMemory();
            progress.finished("SUCCEEDED", null, extra);
            return 0;
        } catch (SyncFailure e) {
            reporter.shutdownNow();
            progress.say("srg sync failed: " + e.getMessage());
            progress.finished("FAILED", e.getMessage(), failureDetails());
            return failedCode();
        } catch (Exception | Error e) {
            // an Error too: the JVM's own exit code for one escaping main is 1, which says no completion was sent
            reporter.shutdownNow();
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (e instanceof java.nio.file.AccessDeniedException) {
                // a CSV directory this task's user may not use: say whose it must be (docs/data-integration.md)
                reason += " (permission denied to this task's user: a CSV directory must be its workspace's group's, 2770"
                        + (System.getenv("SRG_WORKSPACE_GID") == null ? "" : ": chgrp " + System.getenv("SRG_WORKSPACE_GID"))
                        + ", or open to every user)";
            }
            progress.say("srg sync failed: " + reason);
            progress.finished("FAILED", reason, failureDetails());
            return failedCode();
        } finally {
            releaseRunLock();
        }
    }

    private int failedCode() {
        if (completionSent) {
            progress.say("a completion commit was sent before the failure: the next run of this job checks whether it was made");
            return EXIT_FAILED_AFTER_COMPLETION;
        }
        return EXIT_FAILED;
    }

    /**
     * Waits until no other run of this job copies into the writer's database, then holds its lock
     * until this run ends (SPEC DI-7): a run of the same job started while another runs would
     * otherwise resume that run's plan while it still copies, and write the splits it is writing a
     * second time. PostgreSQL: a session advisory lock on the run key; MySQL: GET_LOCK.
     */
    private void awaitOwnTurn(Map<String, Object> wc, SqlDialect wd) throws SQLException, SyncFailure, InterruptedException {
        if (runLock != null) {
            return; // a retry: still held
        }
        Connection c = connect("writer", wc);
        String sql = wd == SqlDialect.POSTGRESQL ? "SELECT pg_try_advisory_lock(?)" : "SELECT GET_LOCK(?, 0)";
        boolean said = false;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (wd == SqlDialect.POSTGRESQL) {
                ps.setLong(1, Long.parseLong(runKey.substring(0, 15), 16));
            } else {
                ps.setString(1, "srg_sync_" + runKey.substring(0, 40));
            }
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Object got = rs.getObject(1); // PostgreSQL: a boolean; MySQL: 1, 0 or NULL
                    if (got instanceof Boolean b ? b : got instanceof Number n && n.intValue() == 1) {
                        break;
                    }
                }
                if (!said) {
                    progress.say("another run of this job (run " + runKey.substring(0, 12)
                            + ") is copying into the writer's database: waiting for it to end");
                    said = true;
                }
                Thread.sleep(500);
            }
        } catch (SQLException | InterruptedException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the failure is what is said
            }
            throw e;
        }
        if (said) {
            progress.say("the other run of this job has ended; this run goes on");
        }
        runLock = c;
    }

    private void releaseRunLock() {
        Connection c = runLock;
        runLock = null;
        if (c != null) {
            try {
                c.close(); // the lock goes with the session
            } catch (SQLException e) {
                // the process ends next: so does the session
            }
        }
    }

    /**
     * The process's peak resident memory (VmHWM) in the log: the heap, the JIT's code, the drivers'
     * buffers — what bench/sync reports beside the task cgroup's peak (which counts page cache too).
     */
    private void sayPeakMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    progress.say("srg sync: peak resident memory " + line.substring(6).strip() + " (VmHWM)");
                }
            }
        } catch (IOException e) {
            // not Linux: nothing to say
        }
    }

    /**
     * {@link #copy()}, again after a failure that may pass, as setting.retry allows. A retry is the
     * same run resumed (DI-7): the splits committed with their marks are skipped, the ones that
     * failed were rolled back whole, preSql ran only if the plan was committed with it — so a retry
     * never writes a row twice, whatever the writeMode. A txtfile writer's file is written whole
     * again. Not retried: errorLimit and what the job itself gets wrong (a bad splitPk, columns).
     */
    private Map<String, Object> copyWithRetries() throws SQLException, SyncFailure, InterruptedException, IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return copy();
            } catch (SyncFailure | SQLException | IOException e) {
                boolean retriable = e instanceof SyncFailure f ? f.retriable : true;
                if (!retriable || attempt > retries) {
                    throw e;
                }
                String reason = e instanceof SQLException s ? "SQL " + s.getSQLState() + ": " + s.getMessage() : e.getMessage();
                progress.say("attempt " + attempt + " failed: " + reason + "; retrying in " + retryIntervalMillis / 1000 + " s ("
                        + attempt + " of " + retries + " retries)");
                progress.retrying(attempt, reason);
                Thread.sleep(retryIntervalMillis);
                abort = null;
                abortRetriable = false;
                unreachable = null;
            }
        }
    }

    private Map<String, Object> failureDetails() {
        Map<String, Object> u = unreachable;
        return u == null ? Map.of() : Map.of("unreachableHost", u.get("host"), "unreachablePort", u.get("port"));
    }

    /**
     * A connection to the reader's or writer's database. One that cannot be made (SQLSTATE class 08:
     * refused, timed out, no route) fails the sync saying which database, and records it so that the
     * server can say whether the group's network reaches it (SPEC DI-8).
     */
    private Connection connect(String role, Map<String, Object> c) throws SQLException, SyncFailure {
        return connect(role, c, false);
    }

    private Connection connect(String role, Map<String, Object> c, boolean streaming) throws SQLException, SyncFailure {
        try {
            return SqlDialect.connect(c, streaming);
        } catch (SQLException e) {
            if (e.getSQLState() == null || !e.getSQLState().startsWith("08")) {
                throw e;
            }
            unreachable = Map.of("role", role, "host", c.get("host"), "port", c.get("port"));
            String why = "cannot connect to the " + role + "'s database at " + c.get("host") + ":" + c.get("port") + " ("
                    + e.getMessage() + ")";
            if (abort == null) {
                abort = why;
                abortRetriable = true;
            }
            throw new SyncFailure(why, true);
        }
    }

    /**
     * A failure the job's own rules decide (errorLimit, a bad split key): said as it is, and not
     * retried (the same job on the same data fails the same way); one that may pass (a database
     * that cannot be reached) is {@code retriable}.
     */
    static final class SyncFailure extends Exception {
        final boolean retriable;

        SyncFailure(String message) {
            this(message, false);
        }

        SyncFailure(String message, boolean retriable) {
            super(message, null, false, false);
            this.retriable = retriable;
        }
    }

    /**
     * What a run copies, fixed when it starts and kept for a resume: the splits, and for an
     * incremental sync the watermark range (above the saved one, up to the maximum at the start; DI-6).
     */
    record Plan(List<Split> splits, String watermarkKind, String watermarkFrom, String watermarkTo) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("splits", splits.stream().map(Split::json).toList());
            m.put("watermarkKind", watermarkKind);
            m.put("watermarkFrom", watermarkFrom);
            m.put("watermarkTo", watermarkTo);
            return m;
        }
    }

    /**
     * One range of the split key (or all rows, or the rows whose key is NULL): an integer key's
     * bounds are Longs ({@code lo <= key < hi}, the last {@code <= hi}); a string key's are Strings,
     * the first split without a lower bound and the last without an upper one, so that every
     * non-NULL key falls in exactly one split whatever the database's collation.
     */
    record Split(int no, Object lo, Object hi, boolean last, boolean nulls) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("no", no);
            m.put("lo", lo);
            m.put("hi", hi);
            m.put("last", last);
            m.put("nulls", nulls);
            return m;
        }

        static Split of(Map<?, ?> m) {
            return new Split(((Number) m.get("no")).intValue(), bound(m.get("lo")), bound(m.get("hi")),
                    Boolean.TRUE.equals(m.get("last")), Boolean.TRUE.equals(m.get("nulls")));
        }

        private static Object bound(Object saved) {
            return saved instanceof Number n ? (Object) n.longValue() : saved; // a string key's bound stays a String
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> copy() throws SQLException, SyncFailure, InterruptedException, IOException {
        Map<String, Object> rc = (Map<String, Object>) reader.get("connection");
        Map<String, Object> wc = (Map<String, Object>) writer.get("connection");
        boolean csvIn = reader.get("plugin").equals("txtfile");
        boolean csvOut = writer.get("plugin").equals("txtfile");
        Plan plan;
        if (csvOut) {
            // no database to keep state in: the file is written whole or not at all (CsvFiles.Output)
            this.output = new CsvFiles.Output(Path.of((String) wc.get("path")), (String) wp.get("path"), runKey.substring(0, 12));
            if (!Files.isDirectory(Path.of((String) wc.get("path")))) {
                throw new SyncFailure("the CSV data source's directory " + wc.get("path") + " does not exist");
            }
            if (wp.get("writeMode").equals("nonConflict") && Files.exists(output.target())) {
                throw new SyncFailure("writeMode nonConflict: " + output.target() + " exists already");
            }
            output.cleanStale();

            if (csvIn) {
                plan = new Plan(List.of(new Split(0, null, null, true, false)), null, null, null);
            } else {
                try (Connection r = connect("reader", rc)) {
                    plan = plan(r, SqlDialect.of((String) rc.get("type")), null);
                }
            }
        } else {
            SqlDialect wd = SqlDialect.of((String) wc.get("type"));
            List<String> writeColumns = (List<String>) wp.get("column");
            String table = (String) wp.get("table");
            awaitOwnTurn(wc, wd);
            try (Connection w = connect("writer", wc)) {
                this.targets = targetColumns(w, wd, table, writeColumns);
                List<String> keys = ((String) wp.get("writeMode")).equals("insert") ? List.of() : primaryKey(w, wd, table);
                // MySQL's REPLACE and ON DUPLICATE KEY work on any unique key; PostgreSQL's ON CONFLICT names one
                if (!((String) wp.get("writeMode")).equals("insert") && keys.isEmpty() && wd == SqlDialect.POSTGRESQL) {
                    throw new SyncFailure("writeMode " + wp.get("writeMode") + " needs a primary key on " + table);
                }
                this.writeSql = wd.write(table, writeColumns, (String) wp.get("writeMode"), keys);
                ensureStateTables(w, wd);
                plan = loadPlan(w);
                if (plan == null) {
                    String completedBy = completedUnreported(w, wd);
                    if (completedBy != null) {
                        return completedBefore(w, wd, completedBy);
                    }
                    if (csvIn) {
                        plan = new Plan(List.of(new Split(0, null, null, true, false)), null, null, null);
                    } else {
                        try (Connection r = connect("reader", rc)) {
                            plan = plan(r, SqlDialect.of((String) rc.get("type")), savedWatermark(w, wd));
                        }
                    }
                    savePlanAndRunPreSql(w, plan);
                } else {
                    progress.say("resuming run " + runKey.substring(0, 12) + ": its plan of " + plan.splits().size()
                            + " split(s) is kept; preSql is not run again");
                }
            }
            // PostgreSQL inserts go through COPY (rows in its text format), the fastest way in; a batch it refuses
            // is written again row by row with INSERTs to find the dirty rows
            this.copySql = wd == SqlDialect.POSTGRESQL && wp.get("writeMode").equals("insert")
                    ? "COPY " + wd.table(table) + " (" + wd.columns(writeColumns) + ") FROM STDIN" : null;
        }
        List<Split> splits = plan.splits();
        if (plan.watermarkKind() != null) {
            progress.say("incremental: " + watermarkColumn() + " above " + plan.watermarkFrom() + " up to " + plan.watermarkTo());
        }
        this.plan = plan;
        progress.splitsTotal = splits.size();
        ExecutorService pool = Executors.newFixedThreadPool(channels, r -> {
            Thread t = new Thread(r, "srg-sync-channel");
            t.setDaemon(true);
            return t;
        });
        // each channel has at most one batch being written while it reads the next
        this.writers = Executors.newFixedThreadPool(channels, r -> {
            Thread t = new Thread(r, "srg-sync-writer");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> running = new ArrayList<>();
        for (Split s : splits) {
            running.add(pool.submit(() -> {
                if (abort == null) {
                    copySplit(s, rc, wc);
                }
                return null;
            }));
        }
        try {
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (abort == null) {
                        abort = cause instanceof SQLException s ? "SQL " + s.getSQLState() + ": " + s.getMessage()
                                : cause instanceof SyncFailure || cause instanceof IOException ? cause.getMessage() : cause.toString();
                        abortRetriable = cause instanceof SQLException || cause instanceof IOException
                                || cause instanceof SyncFailure sf && sf.retriable;
                    }
                }
            }
        } finally {
            pool.shutdownNow();
            writers.shutdownNow();
        }
        if (abort != null) {
            if (output != null) {
                output.cleanStale();
            }
            throw new SyncFailure(abort, abortRetriable);
        }
        long read = progress.read.records.get();
        long dirty = progress.dirtyRecords.get();
        if (errorLimitRecords < 0 && errorLimitPercentage >= 0 && read > 0 && (double) dirty / read > errorLimitPercentage) {
            if (output != null) {
                output.cleanStale();
            }
            throw new SyncFailure(dirty + " dirty record(s) of " + read + " read exceed errorLimit.percentage "
                    + errorLimitPercentage);
        }
        if (output != null) {
            byte[] header = null;
            if (Boolean.TRUE.equals(wp.get("header"))) {
                try {
                    header = newFormatter().record(((List<String>) wp.get("column")).toArray(), (List<String>) wp.get("column"));
                } catch (DirtyValue e) {
                    throw new SyncFailure("the header: " + e.getMessage());
                }
            }
            output.publish(splits.stream().map(Split::no).toList(), header, !wp.get("writeMode").equals("nonConflict"));
            return Map.of();
        }
        SqlDialect wd = SqlDialect.of((String) wc.get("type"));
        try (Connection w = connect("writer", wc)) {
            w.setAutoCommit(false);
            try (Statement st = w.createStatement()) {
                for (String sql : (List<String>) wp.getOrDefault("postSql", List.of())) {
                    st.execute(sql);
                }
            }
            // the run is complete: the same job again is a new copy, not a resume
            try (PreparedStatement ps = w.prepareStatement("DELETE FROM " + wd.quote(STATE_TABLE) + " WHERE run_key = ?");
                 PreparedStatement pp = w.prepareStatement("DELETE FROM " + wd.quote(PLAN_TABLE) + " WHERE run_key = ?")) {
                ps.setString(1, runKey);
                ps.executeUpdate();
                pp.setString(1, runKey);
                pp.executeUpdate();
            }
            // ... and that it was this instance: a run of the same job that finds this mark and learns from the server that
            // this instance did not end SUCCEEDED knows it was killed after this commit, and copies nothing again
            markCompleted(w, wd);
            if (plan.watermarkTo() != null) {
                // SPEC DI-6: saved only when the run succeeds, with its data
                try (PreparedStatement del = w.prepareStatement("DELETE FROM " + wd.quote(WATERMARK_TABLE) + " WHERE task_key = ?");
                     PreparedStatement ins = w.prepareStatement("INSERT INTO " + wd.quote(WATERMARK_TABLE)
                             + " (task_key, column_name, value) VALUES (?, ?, ?)")) {
                    del.setString(1, (String) job.get("watermarkKey"));
                    del.executeUpdate();
                    ins.setString(1, (String) job.get("watermarkKey"));
                    ins.setString(2, watermarkColumn());
                    ins.setString(3, plan.watermarkTo());
                    ins.executeUpdate();
                }
            }
            completionSent = true;
            w.commit();
        }
        // test-only: a kill -9 between the completion's commit and the finished line (SyncRulesTest)
        CrashPoint.reach("sync.completed");
        return plan.watermarkTo() == null ? Map.of() : Map.of("watermark", plan.watermarkTo());
    }

    /** Splits by the split key into about channels x 4 ranges, plus one for its NULLs; one split without a key. */
    private Plan plan(Connection r, SqlDialect rd, String savedWatermark) throws SQLException, SyncFailure {
        String wmKind = null;
        String wmTo = null;
        if (watermarkColumn() != null) {
            String sql = "SELECT max(" + rd.quote(watermarkColumn()) + ") FROM " + rd.table((String) rp.get("table"));
            List<Object> params = new ArrayList<>();
            List<String> conditions = new ArrayList<>();
            if (rp.get("where") != null) {
                conditions.add("(" + rp.get("where") + ")");
            }
            try (PreparedStatement probe = r.prepareStatement("SELECT " + rd.quote(watermarkColumn()) + " FROM "
                    + rd.table((String) rp.get("table")) + " WHERE 1 = 0"); ResultSet rs = probe.executeQuery()) {
                wmKind = SyncValues.kind(rs.getMetaData(), 1).name();
            }
            if (savedWatermark != null) {
                conditions.add(rd.quote(watermarkColumn()) + " > ?");
                params.add(SyncValues.parse(Kind.valueOf(wmKind), savedWatermark));
            }
            if (!conditions.isEmpty()) {
                sql += " WHERE " + String.join(" AND ", conditions);
            }
            try (PreparedStatement ps = r.prepareStatement(sql)) {
                bindAll(ps, params);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Object max = SyncValues.read(rs, 1, Kind.valueOf(wmKind));
                    wmTo = max == null ? null : SyncValues.text(max);
                }
            }
            if (wmTo == null) {
                // nothing above the saved watermark: nothing to copy, the watermark stays
                return new Plan(List.of(), wmKind, savedWatermark, null);
            }
        }
        Plan bounds = new Plan(List.of(), wmKind, savedWatermark, wmTo);
        String splitPk = (String) rp.get("splitPk");
        if (splitPk == null || rp.containsKey("querySql")) {
            return new Plan(List.of(new Split(0, null, null, true, false)), wmKind, savedWatermark, wmTo);
        }
        List<Object> params = new ArrayList<>();
        String where = conditions(rd, bounds, null, params);
        String sql = "SELECT min(" + rd.quote(splitPk) + "), max(" + rd.quote(splitPk) + ") FROM " + rd.table((String) rp.get("table"))
                + (where.isEmpty() ? "" : " WHERE " + where);
        try (PreparedStatement st = r.prepareStatement(sql)) {
            bindAll(st, params);
            try (ResultSet rs = st.executeQuery()) {
                Kind kind = SyncValues.kind(rs.getMetaData(), 1);
                if (kind == Kind.TEXT) {
                    return new Plan(textSplits(r, rd, splitPk, where, params), wmKind, savedWatermark, wmTo);
                }
                if (kind != Kind.INTEGER) {
                    throw new SyncFailure("splitPk " + splitPk + " must be an integer or a string column; it is "
                            + rs.getMetaData().getColumnTypeName(1));
                }
                rs.next();
                long min = rs.getLong(1);
                boolean empty = rs.wasNull();
                long max = rs.getLong(2);
                List<Split> splits = new ArrayList<>();
                if (!empty) {
                    long count = Math.max(1, Math.min((long) channels * SPLITS_PER_CHANNEL, max - min + 1));
                    double step = ((double) max - min + 1) / count;
                    long lo = min;
                    for (int k = 0; k < count; k++) {
                        boolean last = k == count - 1;
                        long hi = last ? max : min + (long) Math.floor(step * (k + 1));
                        splits.add(new Split(k, lo, hi, last, false));
                        lo = hi;
                    }
                }
                splits.add(new Split(splits.size(), null, null, false, true));
                return new Plan(splits, wmKind, savedWatermark, wmTo);
            }
        }
    }

    /**
     * Splits by a string key: the boundaries are the first keys of about channels x 4 equal parts
     * of the keys in the database's own order (ntile over ORDER BY: quantiles, so uneven keys still
     * give even splits), compared by the same database, in the same collation, when the splits are
     * read. Equal boundaries (many equal keys) collapse into one.
     */
    private List<Split> textSplits(Connection r, SqlDialect rd, String splitPk, String where, List<Object> params)
            throws SQLException {
        String pk = rd.quote(splitPk);
        int parts = channels * SPLITS_PER_CHANNEL;
        String sql = "SELECT min(k) FROM (SELECT " + pk + " AS k, ntile(" + parts + ") OVER (ORDER BY " + pk + ") AS srg_part FROM "
                + rd.table((String) rp.get("table")) + " WHERE " + pk + " IS NOT NULL" + (where.isEmpty() ? "" : " AND " + where)
                + ") srg_keys GROUP BY srg_part ORDER BY srg_part";
        List<String> bounds = new ArrayList<>();
        try (PreparedStatement ps = r.prepareStatement(sql)) {
            bindAll(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String k = rs.getString(1);
                    if (bounds.isEmpty() || !bounds.getLast().equals(k)) {
                        bounds.add(k);
                    }
                }
            }
        }
        List<Split> splits = new ArrayList<>();
        if (!bounds.isEmpty()) {
            // the first part's minimum is no bound: everything below the second boundary is the first split
            for (int k = 0; k < bounds.size(); k++) {
                boolean last = k == bounds.size() - 1;
                splits.add(new Split(k, k == 0 ? null : bounds.get(k), last ? null : bounds.get(k + 1), last, false));
            }
        }
        splits.add(new Split(splits.size(), null, null, false, true));
        return splits;
    }

    private String watermarkColumn() {
        return job.get("watermark") instanceof Map<?, ?> w ? (String) w.get("column") : null;
    }

    /** The WHERE of a split: the job's where, the watermark range, the split's key range; values as parameters. */
    private String conditions(SqlDialect rd, Plan plan, Split s, List<Object> params) throws SyncFailure {
        List<String> conditions = new ArrayList<>();
        if (rp.get("where") != null) {
            conditions.add("(" + rp.get("where") + ")");
        }
        if (plan.watermarkKind() != null) {
            Kind kind = Kind.valueOf(plan.watermarkKind());
            String col = rd.quote(watermarkColumn());
            if (plan.watermarkFrom() != null) {
                conditions.add(col + " > ?");
                params.add(SyncValues.parse(kind, plan.watermarkFrom()));
            }
            conditions.add(col + " <= ?");
            params.add(SyncValues.parse(kind, plan.watermarkTo()));
        }
        if (s != null) {
            String pk = rp.get("splitPk") == null ? null : rd.quote((String) rp.get("splitPk"));
            if (s.nulls()) {
                conditions.add(pk + " IS NULL");
            } else if (s.lo() instanceof Long || s.hi() instanceof Long) {
                conditions.add(pk + " >= " + s.lo() + " AND " + pk + (s.last() ? " <= " : " < ") + s.hi());
            } else {
                // a string key's bounds as parameters; a split of a string key has at most one open end
                if (s.lo() != null) {
                    conditions.add(pk + " >= ?");
                    params.add(s.lo());
                }
                if (s.hi() != null) {
                    conditions.add(pk + " < ?");
                    params.add(s.hi());
                }
                if (s.lo() == null && s.hi() == null && rp.get("splitPk") != null && plan.splits().size() > 1) {
                    conditions.add(pk + " IS NOT NULL"); // the one split of a string key: its NULLs are the next split's
                }
            }
        }
        return String.join(" AND ", conditions);
    }

    private static void bindAll(PreparedStatement ps, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            ps.setObject(i + 1, params.get(i));
        }
    }

    @SuppressWarnings("unchecked")
    private String readQuery(SqlDialect rd, Split s, List<Object> params) throws SyncFailure {
        if (rp.containsKey("querySql")) {
            return (String) rp.get("querySql");
        }
        String where = conditions(rd, plan, s, params);
        return "SELECT " + rd.columns((List<String>) rp.get("column")) + " FROM " + rd.table((String) rp.get("table"))
                + (where.isEmpty() ? "" : " WHERE " + where);
    }

    private String savedWatermark(Connection w, SqlDialect wd) throws SQLException {
        if (watermarkColumn() == null) {
            return null;
        }
        try (PreparedStatement ps = w.prepareStatement("SELECT column_name, value FROM " + wd.quote(WATERMARK_TABLE)
                + " WHERE task_key = ?")) {
            ps.setString(1, (String) job.get("watermarkKey"));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                if (!rs.getString(1).equals(watermarkColumn())) {
                    progress.say("the saved watermark is of column " + rs.getString(1) + ", not " + watermarkColumn()
                            + ": copying from the start");
                    return null;
                }
                return rs.getString(2);
            }
        }
    }

    /** A CSV record whose fields were read but a value is not of its column's type: dirty, with the fields as read. */
    static final class BadValue extends Exception {
        final transient Object[] values;

        BadValue(String reason, Object[] values) {
            super(reason, null, false, false);
            this.values = values;
        }
    }

    /** Where one split's rows come from: a query's result or a CSV file. */
    private interface Source extends AutoCloseable {
        /** The columns' names (for dirty records). */
        String[] names();

        /** The next row's values, or null at the end; a BadRecord for a record that cannot be read. */
        Object[] next() throws SQLException, IOException, CsvFiles.BadRecord, BadValue;

        @Override
        void close() throws SQLException, IOException;
    }

    /** Where one split's rows go: a table (in the split's transaction) or the split's part of a CSV file. */
    private interface Sink extends AutoCloseable {
        /** Whether an earlier run of the same job finished split {@code s} (DI-7). */
        boolean done(Split s) throws SQLException;

        /** A source row as the sink writes it; a DirtyValue when it cannot be. */
        Object[] convert(Object[] values) throws DirtyValue;

        void write(Split s, List<Object[]> batch, long bytes, String[] names) throws SQLException, IOException, InterruptedException,
                SyncFailure;

        /** The split is complete: its rows are kept. */
        void commit() throws SQLException, IOException;

        @Override
        void close() throws SQLException, IOException;
    }

    private void copySplit(Split s, Map<String, Object> rc, Map<String, Object> wc)
            throws SQLException, IOException, InterruptedException, SyncFailure {
        try {
            copySplit(s, rc, wc, false);
        } catch (CopyRefused e) {
            // its rows were rolled back with the COPY: counted again from nothing, the dirty rows found batch by batch
            progress.say("split " + s.no() + ": the writer refused a row of the split's COPY (" + e.getMessage()
                    + "); copying the split again batch by batch");
            progress.redo(s.no());
            copySplit(s, rc, wc, true);
        }
    }

    private void copySplit(Split s, Map<String, Object> rc, Map<String, Object> wc, boolean careful)
            throws SQLException, IOException, InterruptedException, SyncFailure {
        int batchSize = ((Number) wp.getOrDefault("batchSize", SyncJob.DEFAULT_BATCH_SIZE)).intValue();
        try (Sink sink = output != null ? new CsvSink(s) : new DbSink(wc, careful)) {
            if (sink.done(s)) {
                progress.splitsDone.incrementAndGet();
                return;
            }
            // the previous batch is written on the channel's writer thread while this one is read and converted, so the
            // reading and the writing database (and the two halves of the worker's work) overlap, as the floor's pipe does
            Future<?> inFlight = null;
            try (Source source = reader.get("plugin").equals("txtfile") ? new CsvSource(rc) : new DbSource(s, rc, batchSize)) {
                String[] names = source.names();
                List<Object[]> batch = new ArrayList<>(batchSize);
                long batchBytes = 0;
                long unreported = 0;
                long unreportedBytes = 0;
                while (true) {
                    if (abort != null) {
                        throw new SyncFailure(abort);
                    }
                    Object[] values;
                    try {
                        values = source.next();
                    } catch (CsvFiles.BadRecord e) {
                        // read, then dropped: its bytes count as read (DI-5), as a row dropped by the writer's conversion does
                        progress.read(s.no(), 1, SyncValues.size(e.raw));
                        dirty(s, e.getMessage(), Map.of("record", e.raw));
                        continue;
                    } catch (BadValue e) {
                        long read = 0;
                        for (Object v : e.values) {
                            read += SyncValues.size(v);
                        }
                        progress.read(s.no(), 1, read);
                        dirty(s, e.getMessage(), names, e.values);
                        continue;
                    }
                    if (values == null) {
                        break;
                    }
                    long bytes = 0;
                    for (Object v : values) {
                        bytes += SyncValues.size(v);
                    }
                    // counted per batch, not per row: channels adding to the same counters for every row contend
                    unreported++;
                    unreportedBytes += bytes;
                    Object[] row;
                    try {
                        row = sink.convert(values);
                    } catch (DirtyValue e) {
                        dirty(s, e.getMessage(), names, values);
                        continue;
                    }
                    batch.add(row);
                    batchBytes += bytes;
                    if (batch.size() >= batchSize) {
                        progress.read(s.no(), unreported, unreportedBytes);
                        unreported = 0;
                        unreportedBytes = 0;
                        awaitWrite(inFlight);
                        List<Object[]> full = batch;
                        long fullBytes = batchBytes;
                        inFlight = writers.submit(() -> {
                            sink.write(s, full, fullBytes, names);
                            return null;
                        });
                        batch = new ArrayList<>(batchSize);
                        batchBytes = 0;
                    }
                }
                progress.read(s.no(), unreported, unreportedBytes);
                Future<?> last = inFlight;
                inFlight = null;
                awaitWrite(last);
                if (!batch.isEmpty()) {
                    sink.write(s, batch, batchBytes, names);
                }
            } finally {
                if (inFlight != null) {
                    // the split failed while a batch was being written: let it end before its connection is closed
                    try {
                        inFlight.get();
                    } catch (java.util.concurrent.ExecutionException ignored) {
                        // the split's own failure is what is reported; its transaction is rolled back
                    }
                }
            }
            sink.commit();
            if (output == null) {
                progress.committed(s.no()); // in the writer's database with its mark: a retry skips it (a CSV part is not kept)
            }
            progress.splitsDone.incrementAndGet();
        }
    }

    /** Waits for a batch's write; its failure as what it is. */
    private static void awaitWrite(Future<?> write) throws SQLException, IOException, InterruptedException, SyncFailure {
        if (write == null) {
            return;
        }
        try {
            write.get();
        } catch (java.util.concurrent.ExecutionException e) {
            switch (e.getCause()) {
                case SQLException x -> throw x;
                case IOException x -> throw x;
                case SyncFailure x -> throw x;
                case InterruptedException x -> throw x;
                case RuntimeException x -> throw x;
                case Error x -> throw x;
                default -> throw new IllegalStateException(e.getCause());
            }
        }
    }

    /** A split of a table (or the query) through a streaming cursor. */
    private final class DbSource implements Source {
        private final Connection r;
        private final PreparedStatement st;
        private final ResultSet rs;
        private final Kind[] kinds;
        private final String[] names;

        @SuppressWarnings("unchecked")
        DbSource(Split s, Map<String, Object> rc, int batchSize) throws SQLException, SyncFailure {
            SqlDialect rd = SqlDialect.of((String) rc.get("type"));
            this.r = connect("reader", rc, true);
            try {
                r.setAutoCommit(false); // PostgreSQL streams with a fetch size only inside a transaction
                r.setReadOnly(true);
                List<String> readColumns = (List<String>) rp.get("column");
                List<Object> params = new ArrayList<>();
                this.st = r.prepareStatement(readQuery(rd, s, params), ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
                st.setFetchSize(((Number) rp.getOrDefault("fetchSize", batchSize)).intValue());
                bindAll(st, params);
                this.rs = st.executeQuery();
                ResultSetMetaData md = rs.getMetaData();
                int expected = targets != null ? targets.size() : ((List<?>) wp.get("column")).size();
                if (md.getColumnCount() != expected) {
                    throw new SyncFailure("the reader's query gives " + md.getColumnCount() + " columns, the writer takes " + expected);
                }
                this.kinds = new Kind[md.getColumnCount()];
                this.names = new String[kinds.length];
                for (int i = 0; i < kinds.length; i++) {
                    kinds[i] = SyncValues.kind(md, i + 1);
                    names[i] = readColumns != null ? readColumns.get(i) : md.getColumnLabel(i + 1);
                }
            } catch (SQLException | SyncFailure | RuntimeException e) {
                r.close();
                throw e;
            }
        }

        @Override
        public String[] names() {
            return names;
        }

        @Override
        public Object[] next() throws SQLException {
            if (!rs.next()) {
                return null;
            }
            Object[] values = new Object[kinds.length];
            for (int i = 0; i < kinds.length; i++) {
                values[i] = SyncValues.read(rs, i + 1, kinds[i]);
            }
            return values;
        }

        @Override
        public void close() throws SQLException {
            try {
                r.rollback(); // read only: nothing to keep
            } finally {
                r.close();
            }
        }
    }

    /** The rows of a CSV file (one split), as text or as the columns' DataX types. */
    private final class CsvSource implements Source {
        private final CsvFiles.Reader in;
        private final int[] indexes;
        private final String[] types;
        private final java.time.format.DateTimeFormatter[] formats;
        private final String[] names;

        @SuppressWarnings("unchecked")
        CsvSource(Map<String, Object> rc) throws IOException, SyncFailure {
            Path file = Path.of((String) rc.get("path")).resolve((String) rp.get("path"));
            if (!Files.isReadable(file)) {
                throw new SyncFailure("cannot read " + file + " (it does not exist, or the task's user may not read it)");
            }
            this.in = new CsvFiles.Reader(file, ((String) rp.get("fieldDelimiter")).charAt(0),
                    Charset.forName((String) rp.get("encoding")), (String) rp.getOrDefault("nullFormat", CsvFiles.DEFAULT_NULL));
            try {
                List<String> header = null;
                if (Boolean.TRUE.equals(rp.get("header"))) {
                    try {
                        header = in.next();
                    } catch (CsvFiles.BadRecord e) {
                        throw new SyncFailure("the header of " + file + ": " + e.getMessage());
                    }
                    if (header == null) {
                        header = List.of();
                    }
                }
                List<Object> spec = (List<Object>) rp.get("column");
                if (spec.equals(List.of("*"))) {
                    int n = ((List<?>) wp.get("column")).size();
                    spec = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        spec.add(Map.of("index", i, "type", "string"));
                    }
                }
                int n = spec.size();
                this.indexes = new int[n];
                this.types = new String[n];
                this.formats = new java.time.format.DateTimeFormatter[n];
                this.names = new String[n];
                for (int i = 0; i < n; i++) {
                    Map<String, Object> c = (Map<String, Object>) spec.get(i);
                    types[i] = (String) c.get("type");
                    formats[i] = c.get("format") == null ? null : java.time.format.DateTimeFormatter.ofPattern((String) c.get("format"));
                    if (c.get("index") != null) {
                        indexes[i] = ((Number) c.get("index")).intValue();
                        names[i] = header != null && indexes[i] < header.size() && header.get(indexes[i]) != null
                                ? header.get(indexes[i]) : "c" + indexes[i];
                    } else {
                        String name = (String) c.get("name");
                        names[i] = name;
                        if (header == null) {
                            indexes[i] = i; // without a header the names are the fields in order
                        } else {
                            indexes[i] = header.indexOf(name);
                            if (indexes[i] < 0) {
                                throw new SyncFailure("the header of " + rp.get("path") + " has no column " + name + " (it has "
                                        + header + ")");
                            }
                        }
                    }
                }
            } catch (SyncFailure | IOException | RuntimeException e) {
                in.close();
                throw e;
            }
        }

        @Override
        public String[] names() {
            return names;
        }

        @Override
        public Object[] next() throws IOException, CsvFiles.BadRecord, BadValue {
            List<String> fields = in.next();
            if (fields == null) {
                return null;
            }
            Object[] values = new Object[indexes.length];
            for (int i = 0; i < indexes.length; i++) {
                if (indexes[i] >= fields.size()) {
                    throw new CsvFiles.BadRecord("line " + in.line() + " has " + fields.size() + " field(s); column " + names[i]
                            + " is field " + (indexes[i] + 1), String.join(",", fields.stream().map(f -> f == null ? "" : f).toList()));
                }
                values[i] = fields.get(indexes[i]);
            }
            Object[] typed = new Object[indexes.length];
            for (int i = 0; i < indexes.length; i++) {
                try {
                    typed[i] = CsvFiles.typed((String) values[i], types[i], formats[i], names[i]);
                } catch (DirtyValue e) {
                    throw new BadValue("line " + in.line() + ", " + e.getMessage(), values);
                }
            }
            values = typed;
            return values;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private CsvFiles.Formatter newFormatter() {
        return new CsvFiles.Formatter(((String) wp.get("fieldDelimiter")).charAt(0), Charset.forName((String) wp.get("encoding")),
                (String) wp.getOrDefault("nullFormat", CsvFiles.DEFAULT_NULL));
    }

    /** A split's part of the CSV file the writer makes; nothing of it counts until every split is done. */
    private final class CsvSink implements Sink {
        private final java.io.OutputStream out;
        @SuppressWarnings("unchecked")
        private final List<String> columns = (List<String>) wp.get("column");

        private final CsvFiles.Formatter formatter = newFormatter();

        CsvSink(Split split) throws IOException {
            this.out = output.openPart(split.no());
        }

        @Override
        public boolean done(Split s) {
            return false; // a CSV file is written whole at the end: a resumed run writes every split again
        }

        @Override
        public Object[] convert(Object[] values) throws DirtyValue {
            return new Object[] {formatter.record(values, columns)}; // the record's bytes, encoded
        }

        @Override
        public void write(Split s, List<Object[]> batch, long bytes, String[] names) throws IOException, InterruptedException {
            limiter.acquire(batch.size(), bytes);
            for (Object[] row : batch) {
                out.write((byte[]) row[0]);
            }
            progress.written(s.no(), batch.size(), bytes);
        }

        @Override
        public void commit() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /**
     * A split written to a table in one transaction with its mark in srg_sync_state (DI-7). Into
     * PostgreSQL, the split's batches go into one COPY; {@code careful} (the split again after the
     * server refused a row of that COPY) writes each batch in a COPY of its own behind a savepoint,
     * so that a refused batch can be written again row by row to find the dirty rows.
     */
    private final class DbSink implements Sink {
        private final Connection w;
        private final SqlDialect wd;
        private final PreparedStatement ps;
        /** The channel's COPY (its buffer reused batch after batch), or null: INSERTs. */
        private final PgCopy copy = copySql == null ? null : new PgCopy(copySql, targetTypes);
        private final boolean careful;
        private Split split;

        DbSink(Map<String, Object> wc, boolean careful) throws SQLException, SyncFailure {
            this.wd = SqlDialect.of((String) wc.get("type"));
            this.careful = careful;
            this.w = connect("writer", wc);
            try {
                w.setAutoCommit(false);
                this.ps = w.prepareStatement(writeSql);
            } catch (SQLException | RuntimeException e) {
                w.close();
                throw e;
            }
        }

        @Override
        public boolean done(Split s) throws SQLException {
            this.split = s;
            boolean done = isDone(w, wd, s);
            if (done) {
                w.rollback();
            }
            return done;
        }

        @Override
        public Object[] convert(Object[] values) throws DirtyValue {
            Object[] row = new Object[values.length];
            for (int i = 0; i < values.length; i++) {
                row[i] = SyncValues.convert(values[i], targets.get(i));
            }
            return row;
        }

        @Override
        public void write(Split s, List<Object[]> batch, long bytes, String[] names)
                throws SQLException, InterruptedException, SyncFailure {
            limiter.acquire(batch.size(), bytes);
            if (copy == null || careful) {
                writeBatch(w, ps, copy, s, batch, bytes, targets, names);
                return;
            }
            try {
                if (!copy.active()) {
                    copy.begin(w);
                }
                copy.write(batch);
                progress.written(s.no(), batch.size(), bytes);
            } catch (PgCopy.CannotCarry e) {
                // nothing of this batch was sent: the rows before it stay, this one goes row by row, the next in a new COPY
                endCopy();
                writeBatch(w, ps, null, s, batch, bytes, targets, names);
            } catch (SQLException e) {
                throw refused(e);
            }
        }

        private void endCopy() throws SQLException {
            try {
                copy.end();
            } catch (SQLException e) {
                throw refused(e);
            }
        }

        /** A failure inside the COPY: a lost connection as it is, else a row refused, which loses the transaction. */
        private SQLException refused(SQLException e) {
            return e.getSQLState() != null && e.getSQLState().startsWith("08") ? e : new CopyRefused(e);
        }

        @Override
        public void commit() throws SQLException {
            if (copy != null && copy.active()) {
                endCopy();
            }
            markDone(w, wd, split);
            w.commit();
        }

        @Override
        public void close() throws SQLException {
            try {
                if (copy != null) {
                    copy.cancel();
                }
            } finally {
                try {
                    ps.close();
                } finally {
                    w.close();
                }
            }
        }
    }

    /** The server refused a row inside a split's COPY: the split's transaction is lost, and the split is copied again, carefully. */
    static final class CopyRefused extends SQLException {
        private static final long serialVersionUID = 1L;

        CopyRefused(SQLException cause) {
            super(cause.getMessage(), cause.getSQLState(), cause);
        }
    }

    /** One batch; when the database refuses it, row by row (each behind a savepoint) to find the dirty ones. */
    private void writeBatch(Connection w, PreparedStatement ps, PgCopy copy, Split s, List<Object[]> batch, long bytes,
                            List<Column> targets, String[] names) throws SQLException, SyncFailure {
        Savepoint before = w.setSavepoint();
        if (copy != null) {
            try {
                copy.copy(w, batch);
                w.releaseSavepoint(before);
                progress.written(s.no(), batch.size(), bytes);
                return;
            } catch (SQLException e) {
                if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                    throw e;
                }
                w.rollback(before);
                before = w.setSavepoint();
            }
        }
        try {
            for (Object[] row : batch) {
                bind(ps, row, targets);
                ps.addBatch();
            }
            ps.executeBatch();
            w.releaseSavepoint(before);
            progress.written(s.no(), batch.size(), bytes);
            return;
        } catch (BatchUpdateException e) {
            w.rollback(before);
            ps.clearBatch();
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                throw e; // the connection is gone: not the rows' fault
            }
            w.rollback(before);
            ps.clearBatch();
        }
        for (Object[] row : batch) {
            Savepoint one = w.setSavepoint();
            try {
                bind(ps, row, targets);
                ps.executeUpdate();
                w.releaseSavepoint(one);
                long size = 0;
                for (Object v : row) {
                    size += SyncValues.size(v);
                }
                progress.written(s.no(), 1, size);
            } catch (SQLException e) {
                if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                    throw e;
                }
                w.rollback(one);
                dirty(s, "the writer refused the row: " + e.getMessage(), names, row);
            }
        }
    }

    private static void bind(PreparedStatement ps, Object[] row, List<Column> targets) throws SQLException {
        for (int i = 0; i < row.length; i++) {
            SyncValues.bind(ps, i + 1, row[i], targets.get(i));
        }
    }

    private void dirty(Split s, String reason, String[] names, Object[] values) throws SyncFailure {
        Map<String, Object> record = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            record.put(names[i], SyncValues.display(values[i]));
        }
        dirty(s, reason, record);
    }

    /** SPEC DI-4: kept with its reason; the record count limit wins over the share (as in DataX). */
    private void dirty(Split s, String reason, Map<String, Object> record) throws SyncFailure {
        progress.dirty(s.no(), reason, record);
        long dirty = progress.dirtyRecords.get();
        if (errorLimitRecords >= 0 && dirty > errorLimitRecords) {
            String why = dirty + " dirty record(s) exceed errorLimit.record " + errorLimitRecords + " (last: " + reason + ")";
            abort = why;
            abortRetriable = false;
            throw new SyncFailure(why);
        }
    }

    /** The target columns; their type names kept in {@link #targetTypes}. */
    private List<Column> targetColumns(Connection w, SqlDialect wd, String table, List<String> columns) throws SQLException {
        try (Statement st = w.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + wd.columns(columns) + " FROM " + wd.table(table) + " WHERE 1 = 0")) {
            ResultSetMetaData md = rs.getMetaData();
            List<Column> out = new ArrayList<>();
            List<String> typeNames = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                out.add(SyncValues.column(md, i));
                typeNames.add(md.getColumnTypeName(i));
            }
            this.targetTypes = typeNames;
            return out;
        }
    }

    private static List<String> primaryKey(Connection w, SqlDialect wd, String table) throws SQLException {
        int dot = table.indexOf('.');
        String schema = dot < 0 ? null : table.substring(0, dot);
        String name = dot < 0 ? table : table.substring(dot + 1);
        DatabaseMetaData md = w.getMetaData();
        List<String> keys = new ArrayList<>();
        // MySQL's "schema" is its database, which JDBC calls the catalog
        String catalog = wd == SqlDialect.MYSQL && schema != null ? schema : w.getCatalog();
        try (ResultSet rs = md.getPrimaryKeys(catalog, wd == SqlDialect.MYSQL ? null : schema, name)) {
            while (rs.next()) {
                keys.add(rs.getString("COLUMN_NAME"));
            }
        }
        return keys;
    }

    /**
     * The instance whose completion mark this run key has, when that run completed every split and
     * was never reported: the server lists it among the same job's unsuccessful instances since its
     * last success (it was killed after its completion commit), or it is this instance itself (an
     * attempt of this run whose commit was made though the answer was lost). Otherwise null: no
     * mark, or the mark of a run that was reported SUCCEEDED — the same job again is a new copy.
     */
    private String completedUnreported(Connection w, SqlDialect wd) throws SQLException {
        try (PreparedStatement ps = w.prepareStatement("SELECT instance_id FROM " + wd.quote(DONE_TABLE) + " WHERE run_key = ?")) {
            ps.setString(1, runKey);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String by = rs.getString(1);
                boolean unreported = !by.isEmpty() && (unreportedRuns.contains(by) || by.equals(instanceId));
                return unreported ? by : null;
            }
        }
    }

    /**
     * The run {@code by} wrote every row (its postSql ran, its watermark was saved) and was killed
     * before it could say so: nothing is copied, this run succeeds with zero rows and takes over the
     * mark, so that the same job after this success copies afresh.
     */
    private Map<String, Object> completedBefore(Connection w, SqlDialect wd, String by) throws SQLException {
        String watermark = savedWatermark(w, wd);
        completionSent = true;
        inTransaction(w, () -> markCompleted(w, wd));
        progress.say(by.equals(instanceId)
                ? "an earlier attempt of this run wrote every row; nothing to copy"
                : "the previous run " + by + " wrote every row (killed before it could say so, or ended while this one waited);"
                        + " nothing to copy");
        progress.splitsTotal = 0;
        return watermark == null ? Map.of() : Map.of("watermark", watermark);
    }

    /** This run completed (in the completion's transaction): the run key's mark names this instance. */
    private void markCompleted(Connection w, SqlDialect wd) throws SQLException {
        try (PreparedStatement del = w.prepareStatement("DELETE FROM " + wd.quote(DONE_TABLE) + " WHERE run_key = ?");
             PreparedStatement ins = w.prepareStatement("INSERT INTO " + wd.quote(DONE_TABLE)
                     + " (run_key, instance_id, finished_at) VALUES (?, ?, CURRENT_TIMESTAMP)")) {
            del.setString(1, runKey);
            del.executeUpdate();
            ins.setString(1, runKey);
            ins.setString(2, instanceId);
            ins.executeUpdate();
        }
    }

    private static void ensureStateTables(Connection w, SqlDialect wd) throws SQLException {
        try (Statement st = w.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + wd.quote(PLAN_TABLE)
                    + " (run_key varchar(64) NOT NULL PRIMARY KEY, plan text NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS " + wd.quote(STATE_TABLE)
                    + " (run_key varchar(64) NOT NULL, split_no integer NOT NULL, PRIMARY KEY (run_key, split_no))");
            st.execute("CREATE TABLE IF NOT EXISTS " + wd.quote(WATERMARK_TABLE)
                    + " (task_key varchar(300) NOT NULL PRIMARY KEY, column_name varchar(64) NOT NULL, value text NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS " + wd.quote(DONE_TABLE)
                    + " (run_key varchar(64) NOT NULL PRIMARY KEY, instance_id varchar(100) NOT NULL, finished_at timestamp NOT NULL)");
        }
    }

    private Plan loadPlan(Connection w) throws SQLException {
        SqlDialect wd = SqlDialect.of((String) ((Map<?, ?>) writer.get("connection")).get("type"));
        try (PreparedStatement ps = w.prepareStatement("SELECT plan FROM " + wd.quote(PLAN_TABLE) + " WHERE run_key = ?")) {
            ps.setString(1, runKey);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Map<?, ?> saved = JSON.readValue(rs.getString(1), Map.class);
                List<Split> splits = new ArrayList<>();
                for (Object o : (List<?>) saved.get("splits")) {
                    splits.add(Split.of((Map<?, ?>) o));
                }
                return new Plan(splits, (String) saved.get("watermarkKind"), (String) saved.get("watermarkFrom"),
                        (String) saved.get("watermarkTo"));
            }
        }
    }

    /** preSql and the plan in one transaction: a resumed run never runs preSql again (it may truncate). */
    @SuppressWarnings("unchecked")
    private void savePlanAndRunPreSql(Connection w, Plan plan) throws SQLException {
        SqlDialect wd = SqlDialect.of((String) ((Map<?, ?>) writer.get("connection")).get("type"));
        inTransaction(w, () -> {
            try (Statement st = w.createStatement();
                 PreparedStatement ps = w.prepareStatement("INSERT INTO " + wd.quote(PLAN_TABLE) + " (run_key, plan) VALUES (?, ?)")) {
                for (String sql : (List<String>) wp.getOrDefault("preSql", List.of())) {
                    st.execute(sql);
                }
                ps.setString(1, runKey);
                ps.setString(2, JSON.writeValueAsString(plan.json()));
                ps.executeUpdate();
            }
        });
    }

    private interface SqlWork {
        void run() throws SQLException;
    }

    /** {@code work} in one transaction on the writer: committed, or rolled back and thrown. */
    private static void inTransaction(Connection w, SqlWork work) throws SQLException {
        w.setAutoCommit(false);
        try {
            work.run();
            w.commit();
        } catch (SQLException e) {
            w.rollback();
            throw e;
        } finally {
            w.setAutoCommit(true);
        }
    }

    private boolean isDone(Connection w, SqlDialect wd, Split s) throws SQLException {
        try (PreparedStatement ps = w.prepareStatement("SELECT 1 FROM " + wd.quote(STATE_TABLE)
                + " WHERE run_key = ? AND split_no = ?")) {
            ps.setString(1, runKey);
            ps.setInt(2, s.no());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** In the split's own transaction: its rows and its mark commit together (DI-7). */
    private void markDone(Connection w, SqlDialect wd, Split s) throws SQLException {
        try (PreparedStatement ps = w.prepareStatement("INSERT INTO " + wd.quote(STATE_TABLE) + " (run_key, split_no) VALUES (?, ?)")) {
            ps.setString(1, runKey);
            ps.setInt(2, s.no());
            ps.executeUpdate();
        }
    }

    /**
     * The identity of a copy: the job without passwords. The same job submitted again after a
     * failure resumes (its plan and finished splits are in the writer's database); after a success
     * its state is gone and the same job copies afresh.
     */
    @SuppressWarnings("unchecked")
    static String runKey(Map<String, Object> job) {
        Map<String, Object> copy = new LinkedHashMap<>(job);
        for (String role : List.of("reader", "writer")) {
            Map<String, Object> side = new LinkedHashMap<>((Map<String, Object>) job.get(role));
            Map<String, Object> c = new LinkedHashMap<>((Map<String, Object>) side.getOrDefault("connection", Map.of()));
            c.remove("password");
            side.put("connection", c);
            copy.put(role, side);
        }
        copy.remove("setting"); // speed and limits may change between attempts; what is copied may not
        copy.remove(UNREPORTED_RUNS); // what the server knows of earlier runs, not what is copied
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(JSON.writeValueAsString(copy).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Map<String, Object> job() {
        return job;
    }
}
