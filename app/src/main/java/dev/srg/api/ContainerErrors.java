package dev.srg.api;

import dev.srg.json.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors that Jetty answers before a request reaches the routes (a URI too long, headers too
 * large, a path with {@code %00} or bad UTF-8): the same problem+json as every other refusal,
 * never an HTML page, and never the container's own words about its internals.
 */
final class ContainerErrors extends ErrorHandler {
    private static final String PROBLEM = "application/problem+json";

    @Override
    protected void generateResponse(Request request, Response response, int status, String message, Throwable cause,
                                    Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, PROBLEM);
        response.write(true, ByteBuffer.wrap(body(status)), callback);
    }

    static byte[] body(int status) {
        String code = switch (status) {
            case 400 -> "InvalidRequest";
            case 404 -> "NotFound.Endpoint";
            case 405 -> "MethodNotAllowed";
            case 413 -> "RequestEntityTooLarge";
            case 414 -> "UriTooLong";
            case 431 -> "RequestHeadersTooLarge";
            default -> "Http." + status;
        };
        String detail = switch (status) {
            case 400 -> "the request is malformed (its path, query or headers cannot be read)";
            case 413 -> "the request body is larger than the limit of " + ApiServer.MAX_BODY_BYTES + " bytes";
            case 414 -> "the request URI is too long";
            case 431 -> "the request headers are too large";
            default -> HttpStatus.getMessage(status);
        };
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", HttpStatus.getMessage(status));
        body.put("status", status);
        body.put("detail", detail);
        body.put("code", code);
        return Json.write(body).getBytes(StandardCharsets.UTF_8);
    }
}
