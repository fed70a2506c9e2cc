package dev.srg.testing;

import dev.srg.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** Speaks HTTP to a test server, with or without a bearer token. */
public final class TestHttp {
    /**
     * How long a request may wait for its answer. Not a bound on the product: a simulated clock's
     * advance by 7 days ran every job of those days and answered after more than 60 s at a load
     * average of 14 (LifecycleApiTest); a hung server still fails within its class's timeout.
     */
    private static final Duration ANSWER_WITHIN = Duration.ofMinutes(3);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    public TestHttp(String base, String token) {
        this.base = base;
        this.token = token;
    }

    /** An answer: status, content type and the body as JSON (a missing node when empty or not JSON). */
    public record Response(int status, String contentType, String text, JsonNode json, java.net.http.HttpHeaders headers) {
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        public String code() {
            return json.path("code").asString(null);
        }

        public String field() {
            return json.path("field").asString(null);
        }

        public String id() {
            return json.path("id").asString(null);
        }

        @Override
        public String toString() {
            return status + " " + text;
        }
    }

    public Response get(String path) {
        return send("GET", path, null);
    }

    public Response post(String path, Object body) {
        return send("POST", path, body);
    }

    public Response put(String path, Object body) {
        return send("PUT", path, body);
    }

    public Response patch(String path, Object body) {
        return send("PATCH", path, body);
    }

    public Response delete(String path) {
        return send("DELETE", path, null);
    }

    /** Sends {@code body} with the given Content-Type (null: none), to try what is not JSON. */
    public Response sendAs(String method, String path, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + (path.startsWith("/") ? "" : "/api/v1/") + path))
                .timeout(ANSWER_WITHIN);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, HttpRequest.BodyPublishers.ofString(body));
        return exchange(b.build());
    }

    /** Sends {@code body} as is when it is a String (to send malformed JSON), else as JSON. */
    public Response send(String method, String path, Object body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + (path.startsWith("/") ? "" : "/api/v1/") + path))
                .timeout(ANSWER_WITHIN);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else if (body instanceof byte[] bytes) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
        } else {
            b.header("Content-Type", "application/json").method(method,
                    HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : Json.write(body)));
        }
        return exchange(b.build());
    }

    /** Every API answer a test gets must be one the served OpenAPI document describes. */
    private void checkContract(HttpRequest request, Response response) {
        if (!OpenApiContract.enabled()) {
            return;
        }
        OpenApiContract contract = OpenApiContract.of(base, token);
        if (contract == null) {
            return;
        }
        String query = request.uri().getRawQuery();
        List<String> violations = contract.violations(request.method(), request.uri().getRawPath() + (query == null ? "" : "?" + query),
                response.status(), response.contentType(), response.text());
        if (!violations.isEmpty()) {
            throw new AssertionError("the answer breaks the served OpenAPI document:\n" + String.join("\n", violations));
        }
    }

    private Response exchange(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json;
            try {
                json = r.body().isEmpty() ? Json.MAPPER.missingNode() : Json.MAPPER.readTree(r.body());
            } catch (RuntimeException e) {
                json = Json.MAPPER.missingNode();
            }
            Response response = new Response(r.statusCode(), r.headers().firstValue("Content-Type").orElse(null), r.body(), json,
                    r.headers());
            checkContract(request, response);
            return new Response(response.status(), response.contentType() == null ? "" : response.contentType(), r.body(), json,
                    r.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
