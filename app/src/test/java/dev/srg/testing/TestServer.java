package dev.srg.testing;

import dev.srg.server.ServerConfig;
import dev.srg.server.SrgServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** A real srg server on a random port, on a fresh database, for one test class. */
public final class TestServer implements AutoCloseable {
    private final SrgServer server;
    private final Path dataDir;
    private final String adminToken;

    private TestServer(SrgServer server, Path dataDir) throws IOException {
        this.server = server;
        this.dataDir = dataDir;
        this.adminToken = Files.readString(dataDir.resolve("admin.token")).strip();
    }

    public static TestServer start() {
        return start(UnaryOperator.identity());
    }

    public static TestServer start(UnaryOperator<ServerConfig> customize) {
        try {
            Path dataDir = Files.createTempDirectory("srg-test");
            dataDir.toFile().setExecutable(true, false);
            TestDatabases.Fresh db = TestDatabases.fresh();
            ServerConfig config = customize.apply(ServerConfig.forDatabase(dataDir, db.url(), db.user(), db.password()));
            return new TestServer(SrgServer.start(config), dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    public Path dataDir() {
        return dataDir;
    }

    public String adminToken() {
        return adminToken;
    }

    /** An HTTP client acting as the bootstrap administrator. */
    public TestHttp admin() {
        return new TestHttp(url(), adminToken);
    }

    public TestHttp as(String token) {
        return new TestHttp(url(), token);
    }

    public TestHttp anonymous() {
        return new TestHttp(url(), null);
    }

    @Override
    public void close() {
        server.close();
    }
}
