package dev.srg.cli;

import com.sun.net.httpserver.HttpServer;
import dev.srg.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * The training run behind the CLI's AOT cache (JDK 25+, see the {@code srg} launcher): it runs
 * typical client commands against a throw-away HTTP server on loopback that answers canned JSON,
 * so the cache holds what a real call loads — picocli's model, the HTTP client, Jackson, the table
 * writer — without touching any real server and without side effects. Its output goes nowhere.
 */
public final class Training {
    private static final String GROUPS = """
            {"items":[{"id":"rg-train","name":"train","status":"RUNNING","billingMode":"PAY_AS_YOU_GO","maxCu":4,
            "regionId":"local","zoneId":"local-a","networks":[],"workspaceIds":[],"createdAt":"2026-01-01T00:00:00Z"}]}""";
    private static final String PROBLEM = """
            {"type":"about:blank","status":404,"title":"Not Found","detail":"no such thing","code":"NotFound"}""";

    private Training() {}

    public static void main(String[] args) throws IOException {
        run();
    }

    /** Runs the training commands; their exit codes (0 for the lists it answers, 3 for the refusals). */
    public static List<Integer> run() throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            boolean list = exchange.getRequestURI().getPath().endsWith("/resource-groups");
            byte[] body = (list ? GROUPS : PROBLEM).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", list ? "application/json" : "application/problem+json");
            exchange.sendResponseHeaders(list ? 200 : 404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        http.start();
        List<Integer> exits = new java.util.ArrayList<>();
        try {
            Map<String, String> env = Map.of("SRG_URL", "http://127.0.0.1:" + http.getAddress().getPort(), "SRG_TOKEN", "training",
                    "HOME", System.getProperty("java.io.tmpdir"));
            for (List<String> command : List.of(List.of("rg", "list"), List.of("rg", "list", "-o", "json"),
                    List.of("rg", "get", "rg-train"), List.of("instance", "list"), List.of("ws", "list", "-o", "wide"))) {
                // the tree a real call builds (Main.forArgs, as main does): the cache's classes and
                // method profiles are then those of a call, not of building every command
                CommandLine cl = Main.forArgs(command.toArray(String[]::new));
                ClientCommands.useEnvironment(cl, env);
                cl.setOut(new PrintWriter(Writer.nullWriter()));
                cl.setErr(new PrintWriter(Writer.nullWriter()));
                exits.add(cl.execute(command.toArray(String[]::new)));
            }
        } finally {
            http.stop(0);
        }
        return exits;
    }
}
