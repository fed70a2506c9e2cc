package dev.srg.cli;

import dev.srg.json.Json;
import java.io.IOException;
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

/** A small client of srg's HTTP API (the CLI and the demo speak only through it). */
public final class ApiClient {
    private final HttpClient http;
    private final String baseUrl;
    private final String token;
    /** The CLI's: names where ids go (see {@link Names}); null for the demo and other code that has ids. */
    private final Names names;

    public ApiClient(String baseUrl, String token) {
        this(baseUrl, token, false);
    }

    private ApiClient(String baseUrl, String token, boolean resolveNames) {
        this(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl, token, resolveNames, null);
    }

    /** The name-resolving client's own lookups go through the same HTTP client (one is costly to start). */
    private ApiClient(String baseUrl, String token, boolean resolveNames, HttpClient http) {
        this.baseUrl = baseUrl;
        this.http = http != null ? http : client(baseUrl);
        this.token = token;
        this.names = resolveNames ? new Names(new ApiClient(baseUrl, token, false, this.http)) : null;
    }

    /**
     * The JDK client builds the default TLS context (the CA store read and parsed) even for plain
     * http, about a quarter of a CLI call's start (issue 17); a plain-http server gets a client whose
     * TLS context is never initialised (no https request can be made with it, none is).
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

    /** A client that accepts unique names wherever the API takes ids (the CLI's). */
    static ApiClient resolvingNames(String baseUrl, String token) {
        return new ApiClient(baseUrl, token, true);
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
    public HttpResponse<java.io.InputStream> stream(String path) {
        if (names != null) {
            path = names.path(path);
        }
        try {
            HttpResponse<java.io.InputStream> r = http.send(request("GET", path, null), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() >= 400) {
                String body = new String(r.body().readAllBytes(), StandardCharsets.UTF_8);
                throw problem(r.statusCode(), body);
            }
            return r;
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "Interrupted", null, "interrupted");
        }
    }

    private JsonNode send(String method, String path, Object body) {
        if (names != null) {
            path = names.path(path);
            body = names.body(body);
        }
        try {
            HttpResponse<String> r = http.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() >= 400) {
                throw problem(r.statusCode(), r.body());
            }
            return r.body() == null || r.body().isEmpty() ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "Interrupted", null, "interrupted");
        }
    }

    private ApiException unreachable(IOException e) {
        return new ApiException(0, "Connection", null, "cannot reach srg at " + baseUrl + ": " + why(e));
    }

    /** The JDK client often leaves the message out (a refused connection is a bare ConnectException). */
    private static String why(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException) {
                return "connection timed out";
            }
            if (t instanceof ConnectException && t.getMessage() == null) {
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

    private HttpRequest request(String method, String path, Object body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofMinutes(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : Json.write(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    private static ApiException problem(int status, String body) {
        try {
            JsonNode p = Json.MAPPER.readTree(body);
            return new ApiException(status, p.path("code").asString("Http." + status),
                    p.hasNonNull("field") ? p.get("field").asString() : null, p.path("detail").asString(body));
        } catch (RuntimeException e) {
            return new ApiException(status, "Http." + status, null, body);
        }
    }
}
