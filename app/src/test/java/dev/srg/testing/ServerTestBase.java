package dev.srg.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;
import tools.jackson.databind.JsonNode;

/**
 * A test class that speaks HTTP to one real server, on a fresh database, started for the whole
 * class (test classes run one after another, so the static fields are the running class's); on the
 * simulated clock when the class says {@link SimulatedClock}.
 */
public abstract class ServerTestBase {
    protected static TestServer server;
    protected static Fixtures fx;
    protected static TestHttp admin;

    @BeforeAll
    static void startServer(TestInfo test) {
        SimulatedClock simulated = test.getTestClass().map(c -> c.getAnnotation(SimulatedClock.class)).orElse(null);
        if (simulated == null) {
            server = TestServer.start();
        } else if (simulated.shortUsageRetention()) {
            server = TestServer.start(c -> c.withSimulatedClock(true)
                    .withMonitor(m -> m.withRetention(Duration.ofHours(1), Duration.ofHours(1))));
        } else {
            server = TestServer.start(c -> c.withSimulatedClock(true));
        }
        fx = new Fixtures(server);
        admin = server.admin();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** The server's clock ({@code GET /clock}: a {@link SimulatedClock} class's server). */
    protected static Instant now() {
        return Instant.parse(admin.get("clock").json().get("now").asString());
    }

    /** Moves the simulated clock on by {@code d} (whole seconds) and runs every background job. */
    protected static void advance(Duration d) {
        var r = admin.post("clock/advance", Map.of("seconds", d.toSeconds()));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }

    /** The instance once its status is one of {@code statuses} (within a minute). */
    protected static JsonNode awaitInstance(String id, String... statuses) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            return List.of(statuses).contains(last[0].path("status").asString());
        });
        return last[0];
    }
}
