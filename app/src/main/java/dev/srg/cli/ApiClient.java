package dev.srg.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

/** A small client of srg's HTTP API (the CLI and the demo speak only through it). */
public final class ApiClient {
    private final Transport http;
    private final String baseUrl;
    private final String token;
    /** The CLI's: names where ids go (see {@link Names}); null for the demo and other code that has ids. */
    private final Names names;

    /** For the demo: the JDK's client, connections kept and shared by threads. */
    public ApiClient(String baseUrl, String token) {
        this(trimmed(baseUrl), token, false, new JdkTransport(baseUrl));
    }

    /**
     * For {@code srg load}: srg's own HTTP/1.1 client keeping its connections ({@link Http1#keepingConnections()}),
     * each request sent and answered on the caller's thread.
     */
    static ApiClient keepingConnections(String baseUrl, String token) {
        return new ApiClient(trimmed(baseUrl), token, false, Http1.keepingConnections());
    }

    /** The name-resolving client's own lookups go through the same transport. */
    private ApiClient(String baseUrl, String token, boolean resolveNames, Transport http) {
        Human.serverClock(null);   // a new server: on real time until an answer says otherwise
        this.baseUrl = baseUrl;
        this.http = http;
        this.token = token;
        this.names = resolveNames ? new Names(new ApiClient(baseUrl, token, false, http)) : null;
    }

    private static String trimmed(String baseUrl) {
        return baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    /** How a request travels. */
    interface Transport {
        /** Sends one request (a JSON body or none); the answer's body is streamed when {@code stream}, else read whole by the caller. */
        Response send(String method, String url, String token, String json, boolean stream) throws IOException, InterruptedException;
    }

    /**
     * An answer: its status and its body, to read and close; {@code clock}: the simulated time it
     * carried ({@code Srg-Clock}), or null.
     */
    public record Response(int status, InputStream body, String clock) {}

    /** The JDK's HttpClient: a pool of kept connections, worth its start-up cost only to a long-lived caller. */
    static final class JdkTransport implements Transport {
        private final HttpClient http;

        JdkTransport(String baseUrl) {
            this.http = client(baseUrl);
        }

        /**
         * The JDK client builds the default TLS context (the CA store read and parsed) even for plain
         * http; a plain-http server gets a client whose TLS context is never initialised (no https
         * request can be made with it, none is).
         */
        private static HttpClient client(String baseUrl) {
            HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
            if (baseUrl.startsWith("http://")) {
                try {
                    b.sslContext(javax.net.ssl.SSLContext.getInstance("TLS")).sslParameters(new javax.net.ssl.SSLParameters());
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException("this JDK has no TLS", e);
                }
            }
            return b.build();
        }

        @Override
        public Response send(String method, String url, String token, String json, boolean stream) throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            if (json != null) {
                b.header("Content-Type", "application/json");
                b.method(method, HttpRequest.BodyPublishers.ofString(json));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            return new Response(r.statusCode(), r.body(), r.headers().firstValue("Srg-Clock").orElse(null));
        }
    }

    /** A client that accepts unique names wherever the API takes ids (the CLI's). */
    static ApiClient resolvingNames(String baseUrl, String token) {
        return new ApiClient(trimmed(baseUrl), token, true, new Http1());
    }

    /** Other resources' names for the CLI's tables ({@link Names#labels()}); none for a client that does not resolve names. */
    Names.Labels labels() {
        return names == null ? Names.Labels.NONE : names.labels();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** A refusal from the server, with its problem+json fields. */
    public static final class ApiException extends RuntimeException {
        private final int status;
        private final String code;
        private final String field;

        ApiException(int status, String code, String field, String detail) {
            super(detail, null, false, false);
            this.status = status;
            this.code = code;
            this.field = field;
        }

        public int status() { return status; }

        public String code() { return code; }

        public String field() { return field; }
    }

    public JsonNode get(String path) {
        return send("GET", path, null);
    }

    public JsonNode get(String path, Map<String, String> query) {
        if (names != null) {
            query = names.query(query);
        }
        String q = query.entrySet().stream().filter(e -> e.getValue() != null)
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send("GET", q.isEmpty() ? path : path + "?" + q, null);
    }

    public JsonNode post(String path, Object body) {
        return send("POST", path, body);
    }

    public JsonNode put(String path, Object body) {
        return send("PUT", path, body);
    }

    public JsonNode patch(String path, Object body) {
        return send("PATCH", path, body);
    }

    public JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    /** Streams a plain-text answer (logs) to the consumer as it arrives. */
    public Response stream(String path) {
        return stream("GET", path);
    }

    /** Streams the answer to {@code method path} (no body sent): a log, a backup; a refusal is thrown as {@link ApiException}. */
    public Response stream(String method, String path) {
        if (names != null) {
            path = names.path(path);
        }
        Response r = exchange(method, path, null, true);
        if (r.status() >= 400) {
            throw problem(r.status(), text(r));
        }
        return r;
    }

    private JsonNode send(String method, String path, Object body) {
        if (names != null) {
            path = names.path(path);
            body = names.body(body);
        }
        Response r = exchange(method, path, body == null ? null : body instanceof String s ? s : JsonTree.write(body), false);
        String text = text(r);
        if (r.status() >= 400) {
            throw problem(r.status(), text);
        }
        return text.isEmpty() ? NullNode.getInstance() : JsonTree.read(text);
    }

    private Response exchange(String method, String path, String json, boolean stream) {
        try {
            Response r = http.send(method, baseUrl + path, token, json, stream);
            if (r.clock() != null) {
                Human.serverClock(r.clock());
            }
            return r;
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "Interrupted", null, "interrupted");
        }
    }

    /** A whole answer's body as text (the connection closed after). */
    private String text(Response r) {
        try (InputStream in = r.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    private ApiException unreachable(IOException e) {
        return new ApiException(0, "Connection", null, "cannot reach srg at " + baseUrl + ": " + why(e));
    }

    /** The JDK client often leaves the message out (a refused connection is a bare ConnectException); a socket's says it in capitals. */
    private static String why(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException) {
                return "connection timed out";
            }
            if (t instanceof ConnectException && (t.getMessage() == null || t.getMessage().startsWith("Connection refused"))) {
                return "connection refused";
            }
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return "unknown host";
            }
            if (t.getMessage() != null) {
                return t.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }

    /**
     * The server's problem+json as an exception; an answer that is not one (a proxy's page, another server on
     * that port, an empty body) says so, with the URL it came from, instead of an empty or HTML message.
     */
    private ApiException problem(int status, String body) {
        JsonNode p = null;
        try {
            p = JsonTree.read(body);
        } catch (RuntimeException e) {
            // not JSON: below
        }
        if (p != null && p.isObject() && p.hasNonNull("code")) {
            return new ApiException(status, p.get("code").asString(), p.hasNonNull("field") ? p.get("field").asString() : null,
                    p.path("detail").asString(p.get("code").asString()));
        }
        String text = body.strip().replaceAll("\\s+", " ");
        return new ApiException(status, "Http." + status, null, baseUrl + " answered HTTP " + status
                + (text.isEmpty() ? " with no body" : ": '" + (text.length() > 80 ? text.substring(0, 80) + "...'" : text + "'"))
                + ", not an srg problem answer; is it srg's URL?");
    }
}
