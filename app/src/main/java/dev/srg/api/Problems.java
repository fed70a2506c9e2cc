package dev.srg.api;

import dev.srg.dataservice.DataServiceGateway;
import dev.srg.error.SrgException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.eclipse.jetty.http.HttpStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/** The one place where refusals become RFC 9457 problem+json answers. */
final class Problems {
    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

    private Problems() {}

    /** Seconds a client should wait before trying again while the database is away. */
    static final String RETRY_AFTER_SECONDS = "2";

    /** Seconds a client waits before trying again when the database's disk is full (an operator must free space). */
    static final String DISK_FULL_RETRY_AFTER_SECONDS = "60";

    /**
     * The database has no disk space left: the request's statement failed and its transaction was
     * rolled back, so nothing of it is kept; 507 rather than a 500, which would say the server is at fault.
     */
    static SrgException diskFull() {
        return new SrgException(507, "InsufficientStorage.Database", null, "the database has no disk space left; the request"
                + " was not carried out (nothing partial is kept): retry once an operator has freed space in its data directory");
    }

    static SrgException databaseUnavailable() {
        return new SrgException(503, "ServiceUnavailable.Database", null,
                "the database is unavailable; the request was not carried out (nothing partial is kept), retry in a moment");
    }

    /**
     * The database was lost during the call. Nothing partial is kept, but a change whose connection
     * broke during its COMMIT may have been made whole: only the store knows, so the answer does
     * not claim either (a create repeated with its {@code clientToken} is not done twice).
     */
    static void unavailable(Context ctx) {
        srg(new SrgException(503, "ServiceUnavailable.Database", null,
                "the database became unavailable during the request; nothing partial is kept, but a change whose "
                        + "commit was under way may be complete: retry in a moment (with the same clientToken for a create)"), ctx);
    }

    static void srg(SrgException e, Context ctx) {
        if (e instanceof DataServiceGateway.RetryAfter r) {
            // a DataService refusal that knows when to come back (a test of an API whose service is queued or starting)
            ctx.header("Retry-After", Integer.toString(r.retryAfterSeconds()));
            ctx.attribute(ApiServer.ERROR_CODE, e.code());
            ctx.status(e.status()).contentType("application/problem+json")
                    .result(body(e.status(), e.code(), e.field(), e.detail(), r.reason()));
            return;
        }
        if (e.status() == 503) {
            ctx.header("Retry-After", RETRY_AFTER_SECONDS);
        } else if (e.status() == 507) {
            ctx.header("Retry-After", DISK_FULL_RETRY_AFTER_SECONDS);
        }
        write(ctx, e.status(), e.code(), e.field(), e.detail());
    }

    static void json(JacksonException e, Context ctx) {
        String field = path(e);
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof SrgException s) {
                write(ctx, s.status(), s.code(), s.field() != null ? s.field() : field, s.detail());
                return;
            }
        }
        if (e instanceof UnrecognizedPropertyException u) {
            write(ctx, 400, "InvalidParameter.UnknownField", field,
                    "unknown field '" + u.getPropertyName() + "'; known fields: " + u.getKnownPropertyIds());
        } else if (e instanceof InvalidFormatException f && f.getTargetType() != null && f.getTargetType().isEnum()) {
            write(ctx, 400, "InvalidParameter.Enum", field, "'" + f.getValue() + "' is not a valid " + field
                    + "; valid values: " + Arrays.toString(f.getTargetType().getEnumConstants()));
        } else if (e instanceof MismatchedInputException m) {
            String type = m.getTargetType() == null ? "value" : typeName(m.getTargetType());
            write(ctx, 400, "InvalidParameter.Type", field,
                    (field == null ? "the request body" : field) + " must be " + type);
        } else if (e instanceof StreamReadException bad) {
            // where, not what: the parser's message quotes the text it stumbled on, which may be part of a password
            var at = bad.getLocation();
            write(ctx, 400, "InvalidParameter.Json", null, "the request body is not valid JSON"
                    + (at == null || at.getLineNr() < 0 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } else {
            write(ctx, 400, "InvalidParameter.Json", field, "the request body does not fit: " + e.getOriginalMessage());
        }
    }

    static void http(HttpResponseException e, Context ctx) {
        String code = switch (e.getStatus()) {
            case 404 -> "NotFound.Endpoint";
            case 405 -> "MethodNotAllowed";
            case 413 -> "RequestEntityTooLarge";
            case 401 -> "Unauthorized";
            default -> "Http." + e.getStatus();
        };
        String detail = e.getStatus() == 413 ? "the request body is larger than the limit of " + ApiServer.MAX_BODY_BYTES + " bytes"
                : e.getMessage();
        if (e.getStatus() == 413) {
            try {
                discardUnread(ctx.req().getInputStream());
            } catch (IOException | IllegalStateException ignored) {
                // the body could not be read (the client went, or it was read as a reader): the close stays abrupt
            }
        }
        write(ctx, e.getStatus(), code, null, detail);
    }

    /** The most of a refused body read and dropped before the answer; a larger one is cut off by the close. */
    static final long DISCARD_BYTES = 16 * ApiServer.MAX_BODY_BYTES;

    /**
     * Reads and drops what is left of a refused body, at most {@link #DISCARD_BYTES}, as a web server's
     * lingering close does: a connection closed with unread bytes in its receive buffer ends in a reset,
     * and the reset can reach the client before it has read the answer, which it then never sees.
     */
    static void discardUnread(InputStream in) throws IOException {
        byte[] drop = new byte[64 * 1024];
        long left = DISCARD_BYTES;
        for (int n; left > 0 && (n = in.read(drop, 0, (int) Math.min(drop.length, left))) >= 0; ) {
            left -= n;
        }
    }

    static void unexpected(Exception e, Context ctx) {
        String reference = UUID.randomUUID().toString();
        LOG.error("unexpected error {} on {} {}", reference, ctx.method(), ctx.path(), e);
        write(ctx, 500, "InternalError", null, "an internal error occurred; the server log has the details under reference " + reference);
    }

    static void write(Context ctx, int status, String code, String field, String detail) {
        ctx.attribute(ApiServer.ERROR_CODE, code);
        ctx.status(status).contentType("application/problem+json").result(body(status, code, field, detail));
    }

    /** The problem+json document. */
    static byte[] body(int status, String code, String field, String detail) {
        return body(status, code, field, detail, null);
    }

    /** The problem+json document with a {@code reason} member (RFC 9457 extension) when not null. */
    static byte[] body(int status, String code, String field, String detail, String reason) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", HttpStatus.getMessage(status));
        body.put("status", status);
        body.put("detail", detail);
        body.put("code", code);
        if (field != null) {
            body.put("field", field);
        }
        if (reason != null) {
            body.put("reason", reason);
        }
        return dev.srg.json.Json.write(body).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String path(JacksonException e) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference r : e.getPath()) {
            if (r.getPropertyName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    private static String typeName(Class<?> type) {
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a number";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (type.getSimpleName().equals("ComputeUnits")) {
            return "a number of CU (a multiple of 0.25)";
        }
        return "an object";
    }
}
