package dev.srg.server;

import dev.srg.execution.local.LocalBackendConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The training run behind the server's AOT cache (JDK 25+, made in the background by the
 * {@code srg} launcher the first time a server starts on a new jar; issue 17: a restart with
 * 10,000 queued tasks must admit again within seconds, and a cold JVM spent most of a restart
 * loading and linking classes). It starts a real server in a temporary data directory (its own
 * embedded PostgreSQL, loopback, an ephemeral port, task networks off so that it touches no
 * other server's namespaces or rules, nothing launched), makes the calls a server answers first
 * — health, lists, a few changes, the OpenAPI document, the console's sign-in page — stops it and
 * removes the directory. Its output goes nowhere.
 */
public final class ServerTraining {
    private ServerTraining() {}

    public static void main(String[] args) {
        int exit = 0;
        try {
            train();
        } catch (Exception | Error e) {
            exit = 1; // no cache is made from a failed run
        }
        // the server's non-daemon threads (Jetty's, the pool's) must not keep the run alive, nor a failure hang it
        System.exit(exit);
    }

    private static void train() throws Exception {
        Path dir = Files.createTempDirectory("srg-server-training-");
        try {
            // the embedded PostgreSQL runs as its own user when srg is root: it must reach the directory
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            ServerConfig config = ServerConfig.forDatabase(dir, null, null, null)
                    .withNetworkEnforcement(LocalBackendConfig.NetworkEnforcement.OFF);
            try (SrgServer server = SrgServer.start(config)) {
                String base = "http://127.0.0.1:" + server.port();
                String token = server.bootstrapToken().orElseThrow();
                for (int round = 0; round < 3; round++) {
                    call(base + "/healthz", null, null);
                    for (String list : new String[] {"resource-groups", "instances", "workspaces", "vpcs", "regions"}) {
                        call(base + "/api/v1/" + list, token, null);
                    }
                    String vpc = "{\"name\":\"training-" + round + "\",\"regionId\":\"local\",\"cidr\":\"10." + round + ".0.0/16\"}";
                    call(base + "/api/v1/vpcs", token, vpc);
                    call(base + "/api/v1/resource-groups", token, "{\"name\":\"training-" + round + "\",\"regionId\":\"local\","
                            + "\"zoneId\":\"local-a\",\"billingMode\":\"PAY_AS_YOU_GO\",\"maxCu\":1}");
                    call(base + "/api/v1/instances/i-missing", token, null);
                    call(base + "/api/v1/resource-groups", null, null); // a 401
                }
                call(base + "/api/v1/openapi.json", null, null);
                call(base + "/console/sign-in", null, null);
            }
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind
            }
        }
    }

    /** One request; the answer is read and dropped (a refusal too: it is trained as well). */
    private static void call(String url, String token, String body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        if (token != null) {
            c.setRequestProperty("Authorization", "Bearer " + token);
        }
        if (body != null) {
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = c.getOutputStream()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
            }
        }
        try (InputStream in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream()) {
            if (in != null) {
                in.readAllBytes();
            }
        }
    }
}
