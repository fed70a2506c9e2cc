package dev.srg.monitor;

import com.sun.net.httpserver.HttpServer;
import dev.srg.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;

/** A real HTTP receiver of webhooks on loopback: records every request per path, fails when told to. */
public final class WebhookReceiver implements AutoCloseable {
    /** One request; {@code atNanos}: when it came (System.nanoTime()). */
    public record Received(String path, String eventId, int attempt, int status, JsonNode body, long atNanos) {}

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    /** Per path: how many more requests to answer with 500; -1 answers 503 until changed. */
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    /** Per path: what runs once, on the next request, after it is recorded and before it is answered (a slow receiver). */
    private final Map<String, Runnable> beforeAnswer = new ConcurrentHashMap<>();

    public WebhookReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            long at = System.nanoTime();
            String path = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readAllBytes();
            AtomicInteger fail = failures.get(path);
            int status = fail == null ? 200 : fail.get() < 0 ? 503 : fail.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 500 : 200;
            String attempt = exchange.getRequestHeaders().getFirst("X-Srg-Delivery-Attempt");
            received.add(new Received(path, exchange.getRequestHeaders().getFirst("X-Srg-Event-Id"),
                    attempt == null ? 0 : Integer.parseInt(attempt), status,
                    Json.MAPPER.readTree(new String(body, StandardCharsets.UTF_8)), at));
            Runnable before = beforeAnswer.remove(path);
            if (before != null) {
                before.run();
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    void failNext(String path, int times) {
        failures.put(path, new AtomicInteger(times));
    }

    void down(String path) {
        failures.put(path, new AtomicInteger(-1));
    }

    void up(String path) {
        failures.remove(path);
    }

    /** The next request on {@code path} is recorded, then {@code what} runs, then it is answered. */
    void beforeNextAnswer(String path, Runnable what) {
        beforeAnswer.put(path, what);
    }

    public List<Received> at(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    public List<Received> delivered(String path) {
        return at(path).stream().filter(r -> r.status() == 200).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
