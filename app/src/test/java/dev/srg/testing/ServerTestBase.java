package dev.srg.testing;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;

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
}
