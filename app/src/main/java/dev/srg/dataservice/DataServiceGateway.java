package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import dev.srg.datasource.DataSourceStore;
import dev.srg.datasource.DataSourceType;
import dev.srg.datasource.SecretBox;
import dev.srg.error.SrgException;
import dev.srg.json.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Serving published APIs (SPEC DS-3..DS-6): {@code /data/{basePath}/{path}}. In order: the API
 * (published, its method), the app (AppCode, or a signature with a fresh timestamp and an unused
 * nonce), its grant, the API's QPS, the group's state (a frozen, expired or released group serves
 * nothing), the values (parsed by type; unknown ones refused), then the query on the group's
 * service. Every call that names an API is logged and counted; callers never see SQL, database
 * messages, stack traces or credentials.
 */
public final class DataServiceGateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataServiceGateway.class);
    /** SPEC DS-3: a signature's timestamp must be within this of srg's clock. */
    public static final Duration SIGNATURE_WINDOW = Duration.ofMinutes(5);
    /**
     * What a call reads of the store is reloaded in the background after this (a change made on
     * another server of a cluster is served from then on; on this one, at once: {@link #routesChanged}).
     */
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** ... and never older than this, even after idle traffic. */
    private static final long MAX_STALE_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** A frozen, expired or released group stops serving within this (RG-4). */
    static final long GROUP_MAX_STALE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final Pattern NONCE = Pattern.compile("[A-Za-z0-9_-]{8,128}");
    private static final Pattern TIMESTAMP = Pattern.compile("[0-9]{10,16}");

    private final Jdbi jdbi;
    private final DataSourceStore dataSources;
    private final SecretBox secrets;
    private final ServiceInstances services;
    private final CallLog log;
    private final MeterRegistry metrics;
    /** Real time: signatures are made by clients' clocks, whatever a simulated clock says. */
    private final Clock wallClock;
    private final Clock clock;
    private final RefreshingCache<String, Optional<Route>> routes;
    /** By "code:" + the AppCode's SHA-256 or "key:" + the AppKey. */
    private final RefreshingCache<String, Optional<App>> apps;
    private final RefreshingCache<String, Optional<WorkerSource>> sources;
    private final RefreshingCache<String, String> groupStates;
    /**
     * AppCode → its key in {@link #apps} ("code:" + SHA-256), for codes that named an app: the hash
     * was 4 % of the server's CPU per call (docs/benchmarks.md, sixth round). A function of the code
     * alone, so it is never stale: whether the app still exists, and what it is granted, is still
     * {@link #apps}' and the route's answer, invalidated at once by a change ({@link #routesChanged}).
     */
    private final Map<String, String> appCodeKeys = new ConcurrentHashMap<>();
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();
    private final Map<String, Meters> meters = new ConcurrentHashMap<>();

    /**
     * A published version, ready to serve.
     *
     * @param bucketKey the API's QPS bucket in {@link #buckets}: its id and limit (a new limit is a new bucket)
     */
    private record Route(String apiId, int version, String workspaceId, ApiDefinition def, SqlTemplate template, boolean mysql,
                         Set<String> grantedAppIds, String bucketKey) {}

    private record App(String id, String appKey, String secret) {}

    /** One call as HTTP brought it (the edge knows HTTP; this class does not). */
    public record CallRequest(String method, String path, Map<String, List<String>> query, byte[] body, String contentType,
                              String authorization, String appKey, String timestamp, String nonce, String signature) {}

    /**
     * {@code {data, pageNum, pageSize, totalNum}}; {@code data} is the rows' JSON array as the worker
     * wrote it (copied, not parsed: the profile showed parsing and writing it again in srg);
     * {@code release}: run once the answer is written (or dropped): its share of the server's answer budget.
     */
    public record CallResult(byte[] data, int pageNum, int pageSize, long totalNum, Runnable release) {
        /** The caller's answer. */
        public byte[] json() {
            byte[] tail = (",\"pageNum\":" + pageNum + ",\"pageSize\":" + pageSize + ",\"totalNum\":" + totalNum + "}")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] out = new byte[8 + data.length + tail.length];
            System.arraycopy("{\"data\":".getBytes(StandardCharsets.US_ASCII), 0, out, 0, 8);
            System.arraycopy(data, 0, out, 8, data.length);
            System.arraycopy(tail, 0, out, 8 + data.length, tail.length);
            return out;
        }
    }

    /** A refusal the caller may retry after {@code retryAfterSeconds} (429, 503). */
    public static class RetryAfter extends SrgException {
        private static final long serialVersionUID = 1L;
        private final int retryAfterSeconds;
        private final String reason;

        RetryAfter(int status, String code, String detail, int retryAfterSeconds) {
            this(status, code, detail, retryAfterSeconds, null);
        }

        /** @param reason why it waits, answered as the problem's {@code reason} member (e.g. a queue reason), or null */
        RetryAfter(int status, String code, String detail, int retryAfterSeconds, String reason) {
            super(status, code, null, detail);
            this.retryAfterSeconds = retryAfterSeconds;
            this.reason = reason;
        }

        public int retryAfterSeconds() {
            return retryAfterSeconds;
        }

        /** The problem's {@code reason} member, or null. */
        public String reason() {
            return reason;
        }
    }

    public DataServiceGateway(Jdbi jdbi, Clock clock, DataSourceStore dataSources, SecretBox secrets, ServiceInstances services,
                              MeterRegistry metrics) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.dataSources = requireNonNull(dataSources, "dataSources is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.services = requireNonNull(services, "services is null");
        this.metrics = metrics;
        this.wallClock = Clock.systemUTC();
        this.log = new CallLog(jdbi);
        this.routes = new RefreshingCache<>("routes", this::loadRoute, REFRESH_NANOS, MAX_STALE_NANOS);
        this.apps = new RefreshingCache<>("apps", this::loadApp, REFRESH_NANOS, MAX_STALE_NANOS);
        this.sources = new RefreshingCache<>("data-sources", id -> dataSources.connection(id).map(WorkerSource::of),
                REFRESH_NANOS, MAX_STALE_NANOS);
        this.groupStates = new RefreshingCache<>("groups", this::loadGroupState, GROUP_MAX_STALE_NANOS / 4,
                GROUP_MAX_STALE_NANOS);
    }

    /** What changed (a publish, a grant, an app deleted) is served from the next call on. */
    public void routesChanged() {
        routes.invalidateAll();
        apps.invalidateAll();
        // not needed to refuse a deleted app's code (the app cache does), but no such code is kept in memory either
        appCodeKeys.clear();
    }

    public CallResult call(CallRequest r) {
        long start = System.nanoTime();
        String path = r.path().startsWith("/data/") ? r.path().substring("/data/".length()) : r.path();
        // no lambdas capturing a call's values on the way (each was an allocation on every call)
        Route route = routes.get(path).orElse(null);
        if (route == null) {
            throw new SrgException(404, "DataService.ApiNotFound", null, "no published API at /data/" + path);
        }
        String appId = null;
        int status = 200;
        String code = null;
        int rows = 0;
        try {
            if (!route.def().method().equals(r.method())) {
                throw new SrgException(405, "DataService.MethodNotAllowed", null, "this API is called with " + route.def().method());
            }
            App app = authenticate(r);
            appId = app.id();
            if (!route.grantedAppIds().contains(app.id())) {
                throw SrgException.forbidden("DataService.NotGranted", "app '" + app.id() + "' is not granted this API");
            }
            // SPEC DS-6
            TokenBucket bucket = buckets.get(route.bucketKey());
            if (bucket == null) {
                int qps = route.def().qps();
                bucket = buckets.computeIfAbsent(route.bucketKey(), k -> new TokenBucket(qps));
            }
            if (!bucket.tryTake()) {
                throw new RetryAfter(429, "Throttling.DataService.Qps", "over this API's limit of " + route.def().qps()
                        + " calls per second", 1);
            }
            requireServing(route.def().resourceGroupId());
            Map<String, List<String>> values = new LinkedHashMap<>();
            String pageNum;
            String pageSize;
            if (r.method().equals("POST")) {
                Map<String, Object> body = body(r);
                pageNum = text(body.remove("pageNum"), "pageNum", r.query());
                pageSize = text(body.remove("pageSize"), "pageSize", r.query());
                values.putAll(DataServiceManager.values(body, ""));
            } else {
                pageNum = first(r.query().get("pageNum"));
                pageSize = first(r.query().get("pageSize"));
                r.query().forEach((k, v) -> {
                    if (!k.equals("pageNum") && !k.equals("pageSize")) {
                        values.put(k, v);
                    }
                });
            }
            QueryPlan plan = QueryPlan.of(route.def(), route.template(), route.mysql(), values, pageNum, pageSize, false);
            WorkerClient.Answer answer = services.execute(route.workspaceId(), route.def().resourceGroupId(), plan,
                    source(route.def().dataSourceId()), route.def().timeoutMillis());
            if (!answer.ok()) {
                String error = answer.head().error();
                // the database's words stay in srg's log: they may name tables, columns, the SQL
                LOG.info("dataservice: API {} v{} failed on the data source ({}): {}", route.apiId(), route.version(), error,
                        answer.head().message());
                String outside = error.equals("CONNECT") ? services.networkReason(route.workspaceId(),
                        route.def().resourceGroupId(), answer.head().address()) : null;
                if (outside != null) {
                    LOG.info("dataservice: API {} v{}: {}", route.apiId(), route.version(), outside);
                    throw new SrgException(502, "DataService.DataSourceOutsideNetwork", null, "the API's data source is outside"
                            + " the network its resource group serves APIs from (the group's first VPC binding); its developer can"
                            + " see why by testing it");
                }
                throw switch (error) {
                    case "TIMEOUT" -> new SrgException(504, "DataService.Timeout", null, "the query ran over the API's timeout of "
                            + route.def().timeoutMillis() + " ms and was cancelled");
                    case "TOO_LARGE" -> new SrgException(502, "DataService.AnswerTooLarge", null, "the API's answer is larger"
                            + " than the limit of " + WorkerProtocol.MAX_ANSWER_BYTES + " bytes of JSON; ask for fewer rows"
                            + " (pageSize), or its developer selects fewer or smaller columns");
                    case "CONNECT" -> new RetryAfter(503, "ServiceUnavailable.DataService.DataSource",
                            "the API's data source cannot be reached now", 5);
                    default -> new SrgException(502, "DataService.QueryFailed", null,
                            "the API's query failed on its data source; its developer can see why in srg's log and by testing it");
                };
            }
            rows = answer.head().rows();
            long total = route.def().paging() ? answer.head().total() : rows;
            return new CallResult(answer.data(), plan.pageNum(), plan.pageSize(), total, answer.release());
        } catch (SrgException e) {
            status = e.status();
            code = e.code();
            throw e;
        } catch (RuntimeException e) {
            status = 500;
            code = "InternalError";
            throw e;
        } finally {
            double millis = (System.nanoTime() - start) / 1e6;
            log.add(new CallLog.Call(route.apiId(), route.version(), appId, status, code, millis, rows, clock.instant()));
            count(route.apiId(), status, millis);
        }
    }

    private void count(String apiId, int status, double millis) {
        if (metrics == null) {
            return;
        }
        Meters m = meters.get(apiId);
        if (m == null) {
            m = meters(apiId);
        }
        m.calls().increment();
        if (status != 200) {
            m.errors().increment();
        }
        m.latency().record((long) (millis * 1e6), TimeUnit.NANOSECONDS);
    }

    private Meters meters(String apiId) {
        return meters.computeIfAbsent(apiId, id -> new Meters(
                Counter.builder("srg.dataservice.calls").description("DataService calls per API").tag("api", id).register(metrics),
                Counter.builder("srg.dataservice.errors").description("DataService calls per API that did not answer 200")
                        .tag("api", id).register(metrics),
                Timer.builder("srg.dataservice.latency").description("DataService call latency per API, as srg answered it")
                        .tag("api", id).serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
                                Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(100),
                                Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5),
                                Duration.ofSeconds(30))
                        .register(metrics)));
    }

    private record Meters(Counter calls, Counter errors, Timer latency) {}

    private static Map<String, Object> body(CallRequest r) {
        if (r.body() == null || r.body().length == 0) {
            return new LinkedHashMap<>();
        }
        if (r.contentType() == null || !r.contentType().toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new SrgException(415, "UnsupportedMediaType", null, "a POST API takes its parameters as a JSON object"
                    + " (Content-Type: application/json)");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(r.body());
        } catch (RuntimeException e) {
            throw SrgException.invalid(null, "InvalidParameter.Json", "the body is not JSON");
        }
        if (node == null || !node.isObject()) {
            throw SrgException.invalid(null, "InvalidParameter.Json", "the body must be a JSON object of parameters");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = Json.MAPPER.convertValue(node, LinkedHashMap.class);
        return map;
    }

    private static String text(Object fromBody, String name, Map<String, List<String>> query) {
        if (fromBody != null) {
            if (!(fromBody instanceof Number) && !(fromBody instanceof String)) {
                throw SrgException.invalid(name, "InvalidParameter.DataService.Paging", name + " must be a number");
            }
            return fromBody.toString();
        }
        return first(query.get(name));
    }

    private static String first(List<String> values) {
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw SrgException.invalid(null, "InvalidParameter.DataService.Paging", "pageNum and pageSize are given once");
        }
        return values.get(0);
    }

    // ---- authentication (SPEC DS-3) ----

    private App authenticate(CallRequest r) {
        String auth = r.authorization();
        if (auth != null && auth.regionMatches(true, 0, "APPCODE ", 0, 8)) {
            String appCode = auth.substring(8).strip();
            String known = appCodeKeys.get(appCode);
            String key = known != null ? known : "code:" + DataServiceManager.sha256(appCode);
            App app = apps.get(key).orElseThrow(() -> unauthorized("DataService.InvalidAppCode", "the AppCode is not valid"));
            if (known == null) {
                // only codes of an app are kept (callers' junk is not), and never more than the cache of apps holds
                if (appCodeKeys.size() >= RefreshingCache.MAX_ENTRIES) {
                    appCodeKeys.clear();
                }
                appCodeKeys.put(appCode, key);
            }
            return app;
        }
        if (r.appKey() == null && r.signature() == null) {
            throw unauthorized("DataService.Unauthorized", "send Authorization: APPCODE <appCode>, or sign the request"
                    + " (X-Srg-AppKey, X-Srg-Timestamp, X-Srg-Nonce, X-Srg-Signature)");
        }
        if (r.appKey() == null || r.timestamp() == null || r.nonce() == null || r.signature() == null) {
            throw unauthorized("DataService.Signature.Incomplete", "a signed request carries X-Srg-AppKey, X-Srg-Timestamp,"
                    + " X-Srg-Nonce and X-Srg-Signature");
        }
        if (!TIMESTAMP.matcher(r.timestamp()).matches()) {
            throw unauthorized("DataService.Signature.Timestamp", "X-Srg-Timestamp is milliseconds since the epoch");
        }
        long skew = Math.abs(wallClock.millis() - Long.parseLong(r.timestamp()));
        if (skew > SIGNATURE_WINDOW.toMillis()) {
            throw unauthorized("DataService.Signature.Stale", "X-Srg-Timestamp is more than " + SIGNATURE_WINDOW.toMinutes()
                    + " minutes from srg's clock");
        }
        if (!NONCE.matcher(r.nonce()).matches()) {
            throw unauthorized("DataService.Signature.Nonce", "X-Srg-Nonce is 8 to 128 letters, digits, '_' or '-'");
        }
        App app = apps.get("key:" + r.appKey())
                .orElseThrow(() -> unauthorized("DataService.InvalidAppKey", "the AppKey is not valid"));
        byte[] expected = sign(app.secret(), stringToSign(r.method(), r.path(), r.query(), r.body(), r.timestamp(), r.nonce()));
        byte[] given;
        try {
            given = Base64.getDecoder().decode(r.signature());
        } catch (IllegalArgumentException e) {
            throw unauthorized("DataService.Signature.Mismatch", "X-Srg-Signature is not base64");
        }
        if (!MessageDigest.isEqual(expected, given)) {
            throw unauthorized("DataService.Signature.Mismatch", "the signature does not match the request");
        }
        // only a valid signature spends its nonce: junk cannot fill the table
        int inserted = jdbi.withHandle(h -> h.createUpdate("""
                INSERT INTO ds_nonces (app_key, nonce, seen_at) VALUES (:k, :n, :now) ON CONFLICT DO NOTHING""")
                .bind("k", app.appKey()).bind("n", r.nonce()).bind("now", wallClock.instant()).execute());
        if (inserted == 0) {
            throw unauthorized("DataService.Signature.Replayed", "this nonce was used already: a request is accepted once");
        }
        return app;
    }

    /**
     * The text an app signs: method, path, the query sorted by name then value (RFC 3986 encoded),
     * the body's SHA-256 in hex, the timestamp and the nonce, one per line.
     */
    public static String stringToSign(String method, String path, Map<String, List<String>> query, byte[] body, String timestamp,
                                      String nonce) {
        List<String> pairs = new ArrayList<>();
        query.forEach((k, vs) -> vs.forEach(v -> pairs.add(encode(k) + "=" + encode(v))));
        pairs.sort(null);
        String bodyHash;
        try {
            bodyHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body == null ? new byte[0] : body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return method + "\n" + path + "\n" + String.join("&", pairs) + "\n" + bodyHash + "\n" + timestamp + "\n" + nonce;
    }

    /** HMAC-SHA256 of {@code text} with the app's secret. */
    public static byte[] sign(String secret, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    private static SrgException unauthorized(String code, String detail) {
        return new SrgException(401, code, null, detail);
    }

    private Optional<App> loadApp(String key) {
        boolean byCode = key.startsWith("code:");
        String column = byCode ? "app_code_sha256" : "app_key";
        return jdbi.withHandle(h -> h.createQuery("SELECT id, app_key, app_secret_encrypted FROM ds_apps WHERE " + column + " = :v")
                .bind("v", key.substring(byCode ? 5 : 4))
                .map((rs, ctx) -> new App(rs.getString(1), rs.getString(2), secrets.decrypt(rs.getBytes(3), rs.getString(1))))
                .findOne());
    }

    // ---- what serves ----

    private Optional<Route> loadRoute(String path) {
        int slash = path.indexOf('/');
        Optional<Route> route = Optional.empty();
        if (slash > 0 && path.length() <= 600) {
            String base = path.substring(0, slash);
            String rest = path.substring(slash + 1);
            route = jdbi.withHandle(h -> h.createQuery("""
                    SELECT a.id, a.workspace_id, v.version, v.definition, d.type,
                           ARRAY(SELECT app_id FROM ds_grants WHERE api_id = a.id) AS apps
                    FROM ds_apis a JOIN ds_api_groups g ON g.id = a.api_group_id
                    JOIN ds_api_versions v ON v.api_id = a.id AND v.version = a.published_version
                    LEFT JOIN data_sources d ON d.id = v.definition ->> 'dataSourceId'
                    WHERE g.base_path = :base AND a.path = :path""")
                    .bind("base", base).bind("path", rest)
                    .map((rs, ctx) -> {
                        ApiDefinition def = Json.STORED.readValue(rs.getString("definition"), ApiDefinition.class);
                        boolean mysql = DataSourceType.MYSQL.name().equals(rs.getString("type"));
                        String[] granted = (String[]) rs.getArray("apps").getArray();
                        String apiId = rs.getString("id");
                        return new Route(apiId, rs.getInt("version"), rs.getString("workspace_id"), def,
                                DataServiceManager.template(def, mysql), mysql, Set.of(granted), apiId + "#" + def.qps());
                    }).findOne());
        }
        return route;
    }

    private WorkerSource source(String id) {
        return sources.get(id).orElseThrow(() -> new RetryAfter(503, "ServiceUnavailable.DataService.DataSource",
                "the API's data source was deleted", 60));
    }

    private String loadGroupState(String groupId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT status FROM resource_groups WHERE id = :id").bind("id", groupId)
                .mapTo(String.class).findOne()).orElse("RELEASED");
    }

    /** A frozen, expired or released group serves nothing (RG-4, RG-7, RG-8). */
    private void requireServing(String groupId) {
        switch (groupStates.get(groupId)) {
            case "FROZEN" -> throw new RetryAfter(503, "ServiceUnavailable.ResourceGroupFrozen", "the API's resource group is"
                    + " FROZEN (idle for 7 days); its owner enables it again", 3600);
            case "EXPIRED" -> throw new RetryAfter(503, "ServiceUnavailable.ResourceGroupExpired", "the API's resource group has"
                    + " EXPIRED; its owner renews it", 3600);
            case "RELEASING", "RELEASED" -> throw new RetryAfter(503, "ServiceUnavailable.ResourceGroupReleased",
                    "the API's resource group is released", 3600);
            case "CREATING" -> throw new RetryAfter(503, "ServiceUnavailable.DataService.Starting",
                    "the API's resource group is being created", 5);
            default -> { }
        }
    }

    /** Forgets nonces older than the window (a replay that old is refused by its timestamp). */
    public void purgeNonces() {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM ds_nonces WHERE seen_at < :before")
                .bind("before", wallClock.instant().minus(SIGNATURE_WINDOW.multipliedBy(2))).execute());
    }

    @Override
    public void close() {
        log.close();
    }

    /** SPEC DS-6: calls per second with a burst of one second's worth. */
    static final class TokenBucket {
        private final double rate;
        private double tokens;
        private long last = System.nanoTime();

        TokenBucket(int qps) {
            this.rate = qps;
            this.tokens = qps;
        }

        synchronized boolean tryTake() {
            long now = System.nanoTime();
            tokens = Math.min(rate, tokens + (now - last) / 1e9 * rate);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }
}
