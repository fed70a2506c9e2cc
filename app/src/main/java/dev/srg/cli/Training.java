package dev.srg.cli;

import dev.srg.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
    /** An instance on a group by id: the table then asks for the groups' names, as a real call does. */
    private static final String INSTANCES = """
            {"items":[{"id":"i-00000000000000000000","name":"train","workspaceId":"ws-00000000000000000000",
            "resourceGroupId":"rg-00000000000000000000","type":"SHELL","status":"SUCCEEDED","cu":0.25,"waitMillis":3,"runMillis":120,
            "exitCode":0}]}""";
    private static final String PROBLEM = """
            {"type":"about:blank","status":404,"title":"Not Found","detail":"no such thing","code":"NotFound"}""";

    private Training() {}

    public static void main(String[] args) throws IOException {
        run();
    }

    /** Runs the training commands; their exit codes (0 for the lists it answers, 3 for the refusals). */
    public static List<Integer> run() throws IOException {
        // a plain socket, not the JDK's HTTP server: the cache keeps (and every call then loads) each
        // class the training run touched, and a call never serves HTTP
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread answering = Thread.ofPlatform().daemon().name("srg-training-server").start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    answer(s);
                } catch (IOException e) {
                    // closed at the end, or a client gone: the next one
                }
            }
        });
        List<Integer> exits = new java.util.ArrayList<>();
        try {
            Map<String, String> env = Map.of("SRG_URL", "http://127.0.0.1:" + server.getLocalPort(), "SRG_TOKEN", "training",
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
            server.close();
            answering.interrupt();
        }
        return exits;
    }

    /** One canned answer: the group list for {@code .../resource-groups}, an instance list, a 404 problem for anything else. */
    private static void answer(Socket s) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        String request = in.readLine();
        long length = 0;
        for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
            if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Long.parseLong(h.substring(15).strip());
            }
        }
        in.skip(length);
        String path = request == null ? "" : request.split(" ")[1].split("\\?")[0];
        boolean list = path.endsWith("/resource-groups") || path.endsWith("/instances");
        byte[] body = (!list ? PROBLEM : path.endsWith("/instances") ? INSTANCES : GROUPS).getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + (list ? "200 OK" : "404 Not Found") + "\r\nContent-Type: "
                + (list ? "application/json" : "application/problem+json") + "\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n";
        OutputStream out = s.getOutputStream();
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }
}
