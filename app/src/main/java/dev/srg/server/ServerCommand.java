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
    static SrgServer start(ServerOptions options) {
        return start(options, "0.0.0.0");
    }

    /**
     * Starts a server; null (reported on stderr in one line, the caller exits 2) when the
     * configuration is invalid or the server cannot start (a used data directory, a busy port):
     * what a user can fix gets a sentence, not a stack trace. The log keeps the details.
     */
    static SrgServer start(ServerOptions options, String defaultHost) {
        ServerConfig cfg;
        try {
            cfg = options.resolve(defaultHost);
        } catch (ServerConfig.ConfigException e) {
            System.err.println("srg: " + e.getMessage());
            return null;
        }
        SrgServer server;
        try {
            server = SrgServer.start(cfg);
        } catch (java.io.IOException | RuntimeException e) {
            // looked up here, not in a static field: picocli builds this command for every CLI call,
            // and a client command must not pay for configuring logback (issue 17: CLI start time)
            org.slf4j.LoggerFactory.getLogger(ServerCommand.class).debug("start-up failed", e);
            System.err.println("srg: cannot start: " + startFailure(e, cfg));
            return null;
        }
        announce(server);
        return server;
    }

    /** One sentence for a start-up failure: a busy port said as such, else the innermost message. */
    static String startFailure(Throwable e, ServerConfig cfg) {
        String message = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException) {
                return "port " + cfg.port() + " on " + cfg.host() + " is in use (another srg or program listens there);"
                        + " choose another with --port";
            }
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
            }
        }
        return message != null ? message : e.getClass().getSimpleName();
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
        // where the token is, never the token: stdout goes to journals and logs that more people read than
        // the 0600 file (sec22's leftover); API.md fixes the file, not a printed copy
        System.out.println(server.bootstrapToken().isPresent()
                ? "bootstrap administrator 'admin' created; its token is in " + tokenFile
                        + " (mode 0600): export SRG_TOKEN=$(cat " + tokenFile + ")"
                : java.nio.file.Files.exists(tokenFile) ? "administrator token: " + tokenFile
                : "administrators sign in with the tokens they had (no " + tokenFile + " here: a restored data directory,"
                        + " or one whose token file was removed)");
        // the last line: scripts (and tests) wait for it
        String listening = server.config().host().equals("0.0.0.0") ? "all addresses" : server.config().host();
        System.out.println("srg is running at http://localhost:" + server.port() + "  (listening on " + listening
                + "; health: /livez, /readyz, API: /api/v1, OpenAPI: /api/v1/openapi.json)");
    }
}
