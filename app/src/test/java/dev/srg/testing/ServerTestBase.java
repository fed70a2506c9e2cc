package dev.srg.testing;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A test class that speaks HTTP to one real server, on a fresh database, started for the whole
 * class (test classes run one after another, so the static fields are the running class's).
 */
public abstract class ServerTestBase {
    protected static TestServer server;
    protected static Fixtures fx;
    protected static TestHttp admin;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
        fx = new Fixtures(server);
        admin = server.admin();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }
}
