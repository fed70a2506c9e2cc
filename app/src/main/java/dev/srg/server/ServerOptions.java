package dev.srg.server;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options shared by {@code srg server} and {@code srg demo}. */
final class ServerOptions {
    @Option(names = "--host", description = "Listen address (default 0.0.0.0; SRG_HOST).")
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
    @Option(names = "--prices", description = "Price list (properties: currency, subscription-cu-month, pay-as-you-go-cu-hour, year-discount-percent); default USD 50.00 per CU-month, 0.12 per CU-hour, 15% off years.")
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
    @Option(names = "--config", description = "A properties file with the same keys as the flags (port=8080, data-dir=...).")
    Path config;

    ServerConfig resolve() {
        return ServerConfig.resolve(flags(), System.getenv(), config);
    }

    Map<String, String> flags() {
        Map<String, String> m = new HashMap<>();
        put(m, "host", host);
        put(m, "port", port);
        put(m, "data-dir", dataDir);
        put(m, "database-url", databaseUrl);
        put(m, "database-user", databaseUser);
        put(m, "database-password", databasePassword);
        put(m, "regions", regions);
        put(m, "simulated-clock", simulatedClock == null ? null : simulatedClock.toString());
        put(m, "provisioning-delay-ms", provisioningDelayMs);
        put(m, "prices", prices);
        put(m, "convert-seconds", convertSeconds);
        put(m, "scale-seconds", scaleSeconds);
        put(m, "retention-days", retentionDays);
        put(m, "metrics-access", metricsAccess);
        put(m, "metrics-token-file", metricsTokenFile);
        return m;
    }

    private static void put(Map<String, String> m, String key, String value) {
        if (value != null) {
            m.put(key, value);
        }
    }
}
