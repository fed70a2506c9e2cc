package dev.srg.server;

import dev.srg.billing.Prices;
import dev.srg.execution.local.LocalBackendConfig;
import dev.srg.group.LifecycleConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import dev.srg.monitor.MonitorConfig;
import dev.srg.image.ImageConfig;

/**
 * How a server runs. Each setting comes from, in order of precedence: a command-line flag, an
 * environment variable ({@code SRG_PORT}, ...), a properties file ({@code --config FILE}, keys as
 * the flags without dashes: {@code port=8080}), then the default. Every error is reported at once.
 */
public record ServerConfig(String host, int port, Path dataDir, String databaseUrl, String databaseUser,
                           String databasePassword, Path regionsFile, boolean simulatedClock, Duration provisioningDelay,
                           Prices prices, LifecycleConfig lifecycle, MonitorConfig monitor, boolean consoleSecureCookies,
                           LocalBackendConfig.NetworkEnforcement networkEnforcement, ImageConfig images,
                           dev.srg.cluster.ClusterConfig cluster,
                           java.util.function.UnaryOperator<LocalBackendConfig> localBackend, Path dataSourceKeyFile,
                           boolean dataSourceKeyReset, dev.srg.api.HttpLimits http) {

    static final Set<String> KEYS = java.util.stream.Stream.concat(Stream.of("host", "port", "data-dir", "database-url",
            "database-user", "database-password", "regions", "simulated-clock", "provisioning-delay-ms", "prices",
            "convert-seconds", "scale-seconds", "retention-days", "console-secure-cookies", "network-enforcement",
            "datasource-key-file", "datasource-key-reset", "http-head-timeout-ms", "http-max-connections",
            "dataservice-answer-budget-mb"),
            Stream.of(MonitorConfig.KEYS, ImageConfig.KEYS, dev.srg.cluster.ClusterConfig.KEYS).flatMap(Set::stream)).collect(java.util.stream.Collectors.toUnmodifiableSet());

    public ServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535");
        }
        prices = prices == null ? Prices.DEFAULTS : prices;
        lifecycle = lifecycle == null ? LifecycleConfig.DEFAULTS : lifecycle;
        monitor = monitor == null ? MonitorConfig.defaults() : monitor;
        networkEnforcement = networkEnforcement == null ? LocalBackendConfig.NetworkEnforcement.AUTO : networkEnforcement;
        images = images == null ? ImageConfig.defaults() : images;
        cluster = cluster == null ? dev.srg.cluster.ClusterConfig.DEFAULTS : cluster;
        localBackend = localBackend == null ? java.util.function.UnaryOperator.identity() : localBackend;
        http = http == null ? dev.srg.api.HttpLimits.DEFAULTS : http;
    }

    /** The HTTP server's head deadline, body rate and connection limit (docs/architecture.md, "HTTP limits"). */
    public ServerConfig withHttp(dev.srg.api.HttpLimits value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                simulatedClock, provisioningDelay, prices, lifecycle, monitor, consoleSecureCookies, networkEnforcement, images, cluster, localBackend, dataSourceKeyFile, dataSourceKeyReset, value);
    }

    /** The data-source key file: {@code --datasource-key-file} (SRG_DATASOURCE_KEY_FILE), else {@code DIR/datasource.key}. */
    public Path dataSourceKey() {
        return dataSourceKeyFile != null ? dataSourceKeyFile : dataDir.resolve("datasource.key");
    }

    /** Custom images: quota, size limit, builds per region, archive, base cache (docs/images.md). */
    public ServerConfig withImages(ImageConfig value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                simulatedClock, provisioningDelay, prices, lifecycle, monitor, consoleSecureCookies, networkEnforcement, value, cluster, localBackend, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    /** Several servers on one database (docs/cluster.md). */
    public ServerConfig withCluster(dev.srg.cluster.ClusterConfig value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                simulatedClock, provisioningDelay, prices, lifecycle, monitor, consoleSecureCookies, networkEnforcement, images, value, localBackend, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    /** {@code --network-enforcement off}: tasks keep the host's network (and say so, SPEC RT-3). */
    public ServerConfig withNetworkEnforcement(LocalBackendConfig.NetworkEnforcement value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                simulatedClock, provisioningDelay, prices, lifecycle, monitor, consoleSecureCookies, value, images, cluster, localBackend, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    /**
     * What the local backend's configuration becomes after the flags (its task uid range, its
     * cgroups): not a flag, for embedding; the AOT cache's training run ({@link ServerTraining})
     * gives its tasks a uid range no server uses and no cgroups.
     */
    public ServerConfig withLocalBackend(java.util.function.UnaryOperator<LocalBackendConfig> value) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                simulatedClock, provisioningDelay, prices, lifecycle, monitor, consoleSecureCookies, networkEnforcement, images, cluster, value, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    /** A configuration for tests and embedding: an external database, a free port. */
    public static ServerConfig forDatabase(Path dataDir, String url, String user, String password) {
        return new ServerConfig("127.0.0.1", 0, dataDir, url, user, password, null, false, Duration.ofMillis(200), null, null,
                MonitorConfig.defaults(), false, null, null, null, null, null, false, null);
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                simulatedClock, provisioningDelay, prices, lifecycle, monitor, consoleSecureCookies, networkEnforcement, images, cluster, localBackend, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    public ServerConfig withRegionsFile(Path file) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, file,
                simulatedClock, provisioningDelay, prices, lifecycle, monitor, consoleSecureCookies, networkEnforcement, images, cluster, localBackend, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    public ServerConfig withSimulatedClock(boolean on) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                on, provisioningDelay, prices, lifecycle, monitor, consoleSecureCookies, networkEnforcement, images, cluster, localBackend, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    public ServerConfig withPrices(Prices newPrices) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                simulatedClock, provisioningDelay, newPrices, lifecycle, monitor, consoleSecureCookies, networkEnforcement, images, cluster, localBackend, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    public ServerConfig withLifecycle(LifecycleConfig newLifecycle) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                simulatedClock, provisioningDelay, prices, newLifecycle, monitor, consoleSecureCookies, networkEnforcement, images, cluster, localBackend, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    public ServerConfig withMonitor(java.util.function.UnaryOperator<MonitorConfig> change) {
        return new ServerConfig(host, port, dataDir, databaseUrl, databaseUser, databasePassword, regionsFile,
                simulatedClock, provisioningDelay, prices, lifecycle, change.apply(monitor), consoleSecureCookies, networkEnforcement, images, cluster, localBackend, dataSourceKeyFile, dataSourceKeyReset, http);
    }

    /**
     * Resolves the configuration from flags (only those given), the environment and an optional file.
     *
     * @throws ConfigException listing every problem
     */
    public static ServerConfig resolve(Map<String, String> flags, Map<String, String> env, Path configFile) {
        List<String> problems = new ArrayList<>();
        Properties file = new Properties();
        if (configFile != null) {
            try (Reader r = Files.newBufferedReader(configFile)) {
                file.load(r);
                for (String key : file.stringPropertyNames()) {
                    if (!KEYS.contains(key)) {
                        problems.add("config file " + configFile + ": unknown key '" + key + "' (known: " + KEYS + ")");
                    }
                }
            } catch (IOException e) {
                problems.add("config file " + configFile + " cannot be read: " + e.getMessage());
            }
        }
        java.util.function.Function<String, String> get = key -> {
            if (flags.containsKey(key)) {
                return flags.get(key);
            }
            String envKey = "SRG_" + key.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
            if (env.containsKey(envKey) && !env.get(envKey).isEmpty()) {
                return env.get(envKey);
            }
            return file.getProperty(key);
        };
        String host = orDefault(get.apply("host"), "0.0.0.0");
        int port = integer(problems, "port", orDefault(get.apply("port"), "8080"), 0, 65535);
        Path dataDir = Path.of(orDefault(get.apply("data-dir"), "data")).toAbsolutePath().normalize();
        String url = get.apply("database-url");
        if (url != null && !url.startsWith("jdbc:postgresql://")) {
            problems.add("database-url must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/database), got '" + url + "'");
        }
        String regions = get.apply("regions");
        Path regionsFile = regions == null ? null : Path.of(regions);
        if (regionsFile != null && !Files.isReadable(regionsFile)) {
            problems.add("regions file " + regionsFile + " cannot be read");
        } else if (regionsFile != null) {
            // its regions and their Kubernetes clusters are configuration too: reported with the rest, before anything starts
            // (invalid JSON is said once, by the catalog; the clusters are checked in a file that parses)
            boolean parses = true;
            try {
                dev.srg.region.RegionCatalog.load(regionsFile);
            } catch (java.io.IOException | IllegalArgumentException e) {
                problems.add(e.getMessage());
                parses = !e.getMessage().startsWith("regions file " + regionsFile + " is not valid: ");
            }
            try {
                if (parses) {
                    dev.srg.execution.kubernetes.KubernetesRegions.load(regionsFile);
                }
            } catch (java.io.IOException | IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        String clock = orDefault(get.apply("simulated-clock"), "false");
        if (!clock.equals("true") && !clock.equals("false")) {
            problems.add("simulated-clock must be true or false, got '" + clock + "'");
        }
        int delay = integer(problems, "provisioning-delay-ms", orDefault(get.apply("provisioning-delay-ms"), "1000"), 0, 600_000);
        String pricesPath = get.apply("prices");
        Prices prices = pricesPath == null ? Prices.DEFAULTS : Prices.load(Path.of(pricesPath), problems);
        LifecycleConfig lifecycle = new LifecycleConfig(
                Duration.ofSeconds(integer(problems, "scale-seconds", orDefault(get.apply("scale-seconds"), "30"), 0, 86_400)),
                Duration.ofSeconds(integer(problems, "convert-seconds", orDefault(get.apply("convert-seconds"), "60"), 0, 86_400)),
                Duration.ofDays(integer(problems, "retention-days", orDefault(get.apply("retention-days"), "15"), 0, 3650)),
                LifecycleConfig.DEFAULTS.autoRenewLead());
        MonitorConfig monitor = MonitorConfig.resolve(get, problems);
        ImageConfig images = ImageConfig.resolve(get, problems);
        dev.srg.cluster.ClusterConfig cluster = dev.srg.cluster.ClusterConfig.resolve(get, problems);
        // the console's cookies are Secure over https anyway; this forces it behind a TLS-terminating proxy
        String secureCookies = orDefault(get.apply("console-secure-cookies"), "false").toLowerCase(java.util.Locale.ROOT);
        if (!secureCookies.equals("true") && !secureCookies.equals("false")) {
            problems.add("console-secure-cookies must be true or false, got '" + secureCookies + "'");
        }
        String enforcement = orDefault(get.apply("network-enforcement"), "auto");
        if (!enforcement.equals("auto") && !enforcement.equals("off")) {
            problems.add("network-enforcement must be auto or off, got '" + enforcement + "'");
        }
        LocalBackendConfig.NetworkEnforcement networkEnforcement = enforcement.equals("off")
                ? LocalBackendConfig.NetworkEnforcement.OFF : LocalBackendConfig.NetworkEnforcement.AUTO;
        // SPEC DI-1: the key of data-source passwords and DataService apps' secrets; the servers of a cluster share one
        String keyFile = get.apply("datasource-key-file");
        Path dataSourceKeyFile = keyFile == null || keyFile.isBlank() ? null : Path.of(keyFile).toAbsolutePath().normalize();
        // a one-time act: left in a file or the environment, a server given the wrong key would take the database's over
        if (file.getProperty("datasource-key-reset") != null || env.containsKey("SRG_DATASOURCE_KEY_RESET")) {
            problems.add("datasource-key-reset is given once, on the command line (--datasource-key-reset), not in a config file"
                    + " or SRG_DATASOURCE_KEY_RESET");
        }
        String keyReset = orDefault(flags.get("datasource-key-reset"), "false");
        if (!keyReset.equals("true") && !keyReset.equals("false")) {
            problems.add("datasource-key-reset must be true or false, got '" + keyReset + "'");
        }
        dev.srg.api.HttpLimits http = new dev.srg.api.HttpLimits(
                Duration.ofMillis(integer(problems, "http-head-timeout-ms", orDefault(get.apply("http-head-timeout-ms"),
                        Long.toString(dev.srg.api.HttpLimits.DEFAULT_HEAD_TIMEOUT.toMillis())), 100, 3_600_000)),
                integer(problems, "http-max-connections", orDefault(get.apply("http-max-connections"), "0"), 0, 1_000_000),
                // 0: a quarter of the heap; else at least 64 MiB (two of the largest answers, each held twice)
                1024L * 1024 * integer(problems, "dataservice-answer-budget-mb",
                        orDefault(get.apply("dataservice-answer-budget-mb"), "0"), 0, 1 << 20));
        if (http.answerBudgetBytes() > 0 && http.answerBudgetBytes() < 64L * 1024 * 1024) {
            problems.add("dataservice-answer-budget-mb must be 0 (a quarter of the heap) or at least 64, got "
                    + http.answerBudgetBytes() / (1024 * 1024));
        }
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            problems.add("data-dir " + dataDir + " exists and is not a directory");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ServerConfig(host, port, dataDir, url, get.apply("database-user"), get.apply("database-password"),
                regionsFile, clock.equals("true"), Duration.ofMillis(delay), prices, lifecycle, monitor,
                secureCookies.equals("true"), networkEnforcement, images, cluster, null, dataSourceKeyFile, keyReset.equals("true"), http);
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static int integer(List<String> problems, String key, String value, int min, int max) {
        try {
            int v = Integer.parseInt(value.strip());
            if (v < min || v > max) {
                problems.add(key + " must be " + min + " to " + max + ", got " + v);
            }
            return Math.max(min, Math.min(max, v));
        } catch (NumberFormatException e) {
            problems.add(key + " must be a number, got '" + value + "'");
            return min;
        }
    }

    /** Every configuration problem found, for one message at start-up. */
    public static final class ConfigException extends RuntimeException {
        private final List<String> problems;

        public ConfigException(List<String> problems) {
            super("invalid configuration:\n  - " + String.join("\n  - ", problems), null, false, false);
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }
}
