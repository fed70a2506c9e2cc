package dev.srg.server;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The options shared by {@code srg server} and {@code srg demo}. */
final class ServerOptions {
    @Spec(Spec.Target.SELF)
    CommandSpec spec;

    @Option(names = "--host", description = "Listen address (default 0.0.0.0, 127.0.0.1 for the demo; SRG_HOST).")
    String host;
    @Option(names = "--port", description = "Listen port (default 8080; SRG_PORT).")
    String port;
    @Option(names = "--data-dir", description = "Data directory (default ./data; SRG_DATA_DIR).")
    String dataDir;
    @Option(names = "--database-url", description = "External PostgreSQL JDBC URL; default: embedded PostgreSQL in the data dir (SRG_DATABASE_URL).")
    String databaseUrl;
    @Option(names = "--database-user", description = "User for --database-url (SRG_DATABASE_USER).")
    String databaseUser;
    @Option(names = "--database-password", description = "Password for --database-url (SRG_DATABASE_PASSWORD; prefer the variable).")
    String databasePassword;
    @Option(names = "--regions", description = "Regions file (JSON); default: the built-in catalog (SRG_REGIONS).")
    String regions;
    @Option(names = "--simulated-clock", description = "Run on a clock that POST /api/v1/clock/advance moves (administrators only).")
    Boolean simulatedClock;
    @Option(names = "--provisioning-delay-ms", description = "How long provisioning a new group takes (default 1000).")
    String provisioningDelayMs;
    @Option(names = "--prices", description = "Price list (properties: currency, subscription-cu-month, pay-as-you-go-cu-hour, year-discount-percent); default USD 50.00 per CU-month, 0.12 per CU-hour, 15%% off years.")
    String prices;
    @Option(names = "--convert-seconds", description = "How long converting pay-as-you-go to subscription takes (default 60).")
    String convertSeconds;
    @Option(names = "--scale-seconds", description = "How long scaling a subscription takes (default 30).")
    String scaleSeconds;
    @Option(names = "--retention-days", description = "How long an expired subscription is kept before it is released (default 15).")
    String retentionDays;
    @Option(names = "--metrics-access", description = "Who may scrape /metrics: token (default: a bearer token with ResourceGroupFullAccess or the scrape token) or open.")
    String metricsAccess;
    @Option(names = "--metrics-token-file", description = "A file holding a dedicated token for scraping /metrics.")
    String metricsTokenFile;
    @Option(names = "--console-secure-cookies", description = "Mark console cookies Secure even over plain http (behind a TLS proxy; SRG_CONSOLE_SECURE_COOKIES).")
    Boolean consoleSecureCookies;
    @Option(names = "--network-enforcement", description = "auto (default): each task in a network namespace confined to its group's VPCs, routes and NAT (needs root, ip, nft); off: tasks use the host's network, and every instance says so (SRG_NETWORK_ENFORCEMENT).")
    String networkEnforcement;
    @Option(names = "--cluster-lease-seconds", description = "How long the cluster's lease lasts unrenewed: a dead leader is replaced after about this (default 6; docs/cluster.md).")
    Integer clusterLeaseSeconds;
    @Option(names = "--cluster-address", description = "How others reach this server, shown by GET /api/v1/cluster (default http://<host name>:<port>).")
    String clusterAddress;
    @Option(names = "--task-dir", description = "Where the local backend keeps its tasks; the servers of a cluster on one machine share it (default: in the data directory).")
    Path taskDir;
    @Option(names = "--datasource-key-file", description = "The key of data-source passwords and DataService apps' secrets (default DIR/datasource.key, made at the first start; the servers of a cluster share one; SRG_DATASOURCE_KEY_FILE).")
    String datasourceKeyFile;
    @Option(names = "--datasource-key-reset", description = "Start although the data-source key is not the one this database's secrets are sealed with (the key is lost): seal with this key from now on; the old secrets stay unreadable until set again. Once, on the command line.")
    Boolean datasourceKeyReset;
    @Option(names = "--config", description = "A properties file with the same keys as the flags (port=8080, data-dir=...).")
    Path config;

    /** The configuration, with {@code defaultHost} when neither a flag, SRG_HOST nor the config file names one. */
    ServerConfig resolve(String defaultHost) {
        Map<String, String> flags = flags();
        String envHost = System.getenv("SRG_HOST");
        if (!flags.containsKey("host") && (envHost == null || envHost.isEmpty()) && !configNamesHost()) {
            flags.put("host", defaultHost);
        }
        return ServerConfig.resolve(flags, System.getenv(), config);
    }

    private boolean configNamesHost() {
        if (config == null) {
            return false;
        }
        java.util.Properties p = new java.util.Properties();
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(config)) {
            p.load(r);
        } catch (java.io.IOException e) {
            return false; // resolve() reports the unreadable file
        }
        return p.getProperty("host") != null;
    }

    /**
     * The flags given on the command line, keyed by their name without the dashes (the same keys
     * as the config file and, upper-cased, the SRG_ environment variables). Read from picocli's
     * model, so a new option needs no second place to be listed in.
     */
    Map<String, String> flags() {
        Map<String, String> m = new HashMap<>();
        for (OptionSpec option : spec.options()) {
            String key = option.longestName().substring(2);
            Object value = option.getValue();
            if (value != null && ServerConfig.KEYS.contains(key)) {
                m.put(key, value.toString());
            }
        }
        return m;
    }
}
