package dev.srg.api;

import static java.util.Objects.requireNonNull;

import dev.srg.dataservice.DataServiceGateway;
import dev.srg.error.SrgException;
import dev.srg.monitor.Monitoring;
import dev.srg.store.Database;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.UrlEncoded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET|POST /data/{basePath}/{path}} (SPEC DS-3..DS-6) served by Jetty itself, in front of
 * the Javalin servlet that serves everything else: a call of a published API is the one request
 * that comes thousands of times a second, and the profile (docs/benchmarks.md, issue 14) had the
 * servlet layer, Javalin's filters and context about as much of the server's CPU per call as the
 * call itself. The answers are the same as Javalin's would be (problem+json, Retry-After,
 * WWW-Authenticate, the HTTP request metric); other methods and paths go on to Javalin.
 */
final class DataCallHandler extends Handler.Wrapper {
    private static final Logger LOG = LoggerFactory.getLogger(DataCallHandler.class);
    private static final String PREFIX = "/data/";
    private static final String ROUTE = "/data/<path>";
    private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");
    private static final byte[] NO_BODY = new byte[0];

    private final DataServiceGateway gateway;
    private final Monitoring monitoring;

    /** @param monitoring counts the request like Javalin's request logger does (or null) */
    DataCallHandler(DataServiceGateway gateway, Monitoring monitoring) {
        this.gateway = requireNonNull(gateway, "gateway is null");
        this.monitoring = monitoring;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        if (path == null || !path.startsWith(PREFIX) || !(method.equals("GET") || method.equals("POST"))) {
            return super.handle(request, response, callback);
        }
        long start = System.nanoTime();
        int status = call(request, response, callback, method, path);
        if (monitoring != null) {
            monitoring.metrics().httpRequest(method, ROUTE, status, (System.nanoTime() - start) / 1e6f);
        }
        return true;
    }

    /** Answers the call; @return its status */
    private int call(Request request, Response response, Callback callback, String method, String path) {
        try {
            Map<String, List<String>> query = query(request);
            byte[] body = method.equals("POST") ? body(request) : NO_BODY;
            var h = request.getHeaders();
            DataServiceGateway.CallResult r = gateway.call(new DataServiceGateway.CallRequest(method, path, query, body,
                    h.get(HttpHeader.CONTENT_TYPE), h.get(HttpHeader.AUTHORIZATION), h.get("X-Srg-AppKey"),
                    h.get("X-Srg-Timestamp"), h.get("X-Srg-Nonce"), h.get("X-Srg-Signature")));
            // the answer's share of the server's answer budget goes back once it is written (or its write failed)
            Callback released = new Callback() {
                @Override
                public void succeeded() {
                    r.release().run();
                    callback.succeeded();
                }

                @Override
                public void failed(Throwable x) {
                    r.release().run();
                    callback.failed(x);
                }

                @Override
                public InvocationType getInvocationType() {
                    return callback.getInvocationType();
                }
            };
            try {
                ByteBuffer answer = ByteBuffer.wrap(r.json());
                response.setStatus(200);
                response.getHeaders().put(JSON);
                response.write(true, answer, released);
            } catch (RuntimeException e) {
                r.release().run();
                throw e;
            }
            return 200;
        } catch (DataServiceGateway.RetryAfter e) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(e.retryAfterSeconds()));
            response.setStatus(e.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
            response.write(true, ByteBuffer.wrap(Problems.body(e.status(), e.code(), e.field(), e.detail(), e.reason())), callback);
            return e.status();
        } catch (SrgException e) {
            if (e.status() == 401) {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "APPCODE");
            } else if (e.status() == 503) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, Problems.RETRY_AFTER_SECONDS);
            }
            return problem(response, callback, e.status(), e.code(), e.field(), e.detail());
        } catch (RuntimeException | IOException e) {
            if (Database.isUnavailable(e)) {
                SrgException u = Problems.databaseUnavailable();
                response.getHeaders().put(HttpHeader.RETRY_AFTER, Problems.RETRY_AFTER_SECONDS);
                return problem(response, callback, u.status(), u.code(), null, u.detail());
            }
            if (Database.isDiskFull(e)) {
                SrgException full = Problems.diskFull();
                response.getHeaders().put(HttpHeader.RETRY_AFTER, Problems.DISK_FULL_RETRY_AFTER_SECONDS);
                return problem(response, callback, full.status(), full.code(), null, full.detail());
            }
            String reference = UUID.randomUUID().toString();
            LOG.error("unexpected error {} on {} {}", reference, method, path, e);
            return problem(response, callback, 500, "InternalError", null,
                    "an internal error occurred; the server log has the details under reference " + reference);
        }
    }

    /**
     * The query's parameters in their order, decoded as UTF-8. Decoded here rather than by {@code
     * Request.extractQueryParameters}, which also caches them on the request in a map of attributes
     * made for it: about 5 % of the server's allocation per call (docs/benchmarks.md, issue 14,
     * seventh round), and the young collections it feeds stop every call in flight.
     */
    private static Map<String, List<String>> query(Request request) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        String raw = request.getHttpURI().getQuery();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        try {
            UrlEncoded.decodeTo(raw, (k, v) -> query.computeIfAbsent(k, x -> new ArrayList<>(1)).add(v), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw SrgException.invalid(null, "InvalidParameter.Encoding", "the query string is not valid URL-encoded UTF-8");
        }
        return query;
    }

    /** The body, at most {@link ApiServer#MAX_BODY_BYTES} (as Javalin limits every other request's). */
    private static byte[] body(Request request) throws IOException {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] body = in.readNBytes((int) ApiServer.MAX_BODY_BYTES + 1);
            if (body.length > ApiServer.MAX_BODY_BYTES) {
                Problems.discardUnread(in);
                throw new SrgException(413, "RequestEntityTooLarge", null, "the request body is larger than the limit of "
                        + ApiServer.MAX_BODY_BYTES + " bytes");
            }
            return body;
        }
    }

    private static int problem(Response response, Callback callback, int status, String code, String field, String detail) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        response.write(true, ByteBuffer.wrap(Problems.body(status, code, field, detail)), callback);
        return status;
    }
}
