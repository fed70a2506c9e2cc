package dev.srg.server;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code srg server}: runs the server until stopped (SIGTERM / Ctrl-C stop it cleanly). */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Run the srg server.")
public final class ServerCommand implements Callable<Integer> {
    @Mixin
    ServerOptions options;

    @Override
    public Integer call() throws Exception {
        SrgServer server = start(options);
        if (server == null) {
            return 2;
        }
        runUntilStopped(server);
        return 0;
    }

    /** Starts a server from the options and announces it; null (reported) when the configuration is invalid. */
    static SrgServer start(ServerOptions options) throws java.io.IOException {
        ServerConfig cfg;
        try {
            cfg = options.resolve();
        } catch (ServerConfig.ConfigException e) {
            System.err.println("srg: " + e.getMessage());
            return null;
        }
        SrgServer server = SrgServer.start(cfg);
        announce(server);
        return server;
    }

    /** Blocks until SIGTERM / Ctrl-C, then closes the server cleanly. */
    static void runUntilStopped(SrgServer server) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "srg-shutdown"));
        stopped.await();
    }

    static void announce(SrgServer server) {
        Path tokenFile = server.config().dataDir().resolve("admin.token");
        server.bootstrapToken().ifPresentOrElse(
                token -> System.out.println("bootstrap administrator 'admin' created; its token (shown once, also in "
                        + tokenFile + ", mode 0600):\n  " + token),
                () -> System.out.println("administrator token: " + tokenFile));
        // the last line: scripts (and tests) wait for it
        System.out.println("srg is running at http://localhost:" + server.port() + "  (health: /livez, /readyz, API: /api/v1, OpenAPI: /api/v1/openapi.json)");
    }
}
