package dev.srg.monitor;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * One attempt to deliver a stored JSON notice to a webhook, shared by the alert rules' outbox and
 * the budgets' (SPEC MON-4, BEY-3): the same headers ({@code X-Srg-Event-Id} for the receiver to
 * drop a duplicate, {@code X-Srg-Delivery-Attempt}), the same allow-list and the same errors in
 * words. Each outbox keeps its own retries and bookkeeping.
 */
public final class WebhookSender implements AutoCloseable {
    private final Duration timeout;
    private final String userAgent;
    private final Predicate<String> hostAllowed;
    /** Made on the first delivery: a JDK HttpClient (TLS context, trust store, selector thread) cost seconds of a loaded start (issue 17). */
    private HttpClient http;
    private boolean closed;

    /** {@code hostAllowed}: whether a host is on the server's webhook allow-list now. */
    public WebhookSender(Duration timeout, String userAgent, Predicate<String> hostAllowed) {
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.userAgent = requireNonNull(userAgent, "userAgent is null");
        this.hostAllowed = requireNonNull(hostAllowed, "hostAllowed is null");
    }

    /** The client, made on first use; null once closed (the server stops). */
    private synchronized HttpClient http() {
        if (closed) {
            return null;
        }
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
        }
        return http;
    }

    /** One POST; null when the receiver took it (2xx), else what went wrong, in words. */
    public String send(String url, String eventId, int attempt, String payload) {
        URI uri = URI.create(url);
        if (!hostAllowed.test(uri.getHost())) {
            return "the host " + uri.getHost() + " is no longer on the allow-list";
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", userAgent)
                .header("X-Srg-Event-Id", eventId)
                .header("X-Srg-Delivery-Attempt", Integer.toString(attempt))
                .POST(HttpRequest.BodyPublishers.ofString(payload, StandardCharsets.UTF_8)).build();
        try {
            HttpClient client = http();
            if (client == null) {
                return "not sent: the server is stopping";
            }
            int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            return status >= 200 && status < 300 ? null : "the receiver answered HTTP " + status + " (2xx expected)";
        } catch (java.net.http.HttpTimeoutException e) {
            // what an operator can act on, in words (issue 19: "why did the webhook fail?")
            return "no answer within " + timeout.toMillis() + " ms from " + uri.getHost();
        } catch (java.net.ConnectException e) {
            return "could not connect to " + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                    + " (" + (e.getMessage() == null ? "connection refused or unreachable" : e.getMessage()) + ")";
        } catch (java.io.IOException e) {
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (http != null) {
            http.close();
        }
    }
}
