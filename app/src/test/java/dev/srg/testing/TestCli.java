package dev.srg.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.Main;
import dev.srg.cli.ClientCommands;
import dev.srg.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/** The srg CLI run in the test's JVM as a call builds it ({@link Main#forArgs}), its output and exit code captured. */
public final class TestCli {
    /** Where no login profile is: a test's command sees only what its arguments and environment say. */
    public static final String NO_PROFILE = "/nonexistent-srg-test";

    private TestCli() {}

    public record Run(int exit, String out, String err) {
        /** The answer of a {@code -o json} call that succeeded. */
        public JsonNode json() {
            assertThat(exit).as(this.toString()).isZero();
            return Json.MAPPER.readTree(out);
        }

        public String id() {
            return json().get("id").asString();
        }
    }

    /**
     * The HTTP requests {@code server} has answered, by its own count ({@code srg_http_server_requests} in
     * /metrics, the scrapes themselves left out): issue 17's goal keeps a one-call command one call, so a test
     * of a table's names counts the requests its command made.
     */
    public static long requestsAnswered(TestServer server) {
        return requestsAnswered(server, null);
    }

    /** {@link #requestsAnswered(TestServer)} of one route only ({@code /api/v1/users}), or of all with null. */
    public static long requestsAnswered(TestServer server, String route) {
        var metrics = server.admin().get("/metrics");
        assertThat(metrics.status()).as(metrics.toString()).isEqualTo(200);
        long total = 0;
        for (String line : metrics.text().split("\n")) {
            if (line.startsWith("srg_http_server_requests_seconds_count{") && !line.contains("route=\"/metrics\"")
                    && (route == null || line.contains("route=\"" + route + "\""))) {
                total += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    /** Runs {@code srg ARGS} with only {@code env} as its environment (and no profile unless a test writes one). */
    public static Run withEnv(Map<String, String> env, String... args) {
        CommandLine cl = Main.forArgs(args);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        ClientCommands.useEnvironment(cl, env);
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Runs {@code srg ARGS --url URL --token ADMIN_TOKEN} against {@code server}, without a login profile. */
    public static Run asAdmin(TestServer server, String... args) {
        return asAdmin(server, Map.of("XDG_CONFIG_HOME", NO_PROFILE), args);
    }

    /** {@link #asAdmin(TestServer, String...)} with {@code env} as the command's environment. */
    public static Run asAdmin(TestServer server, Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", server.url(), "--token", server.adminToken()));
        return withEnv(env, all.toArray(String[]::new));
    }
}
