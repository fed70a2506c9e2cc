package dev.srg.api;

import dev.srg.access.Principal;
import dev.srg.error.Names;
import dev.srg.error.SrgException;
import dev.srg.json.Json;
import dev.srg.store.PageRequest;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.TokenStreamContext;

/** Reading what a request carries: the caller, a strict JSON body, query parameters. */
final class Requests {
    static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private Requests() {}

    static Principal caller(Context ctx) {
        Principal p = ctx.attribute(ApiServer.PRINCIPAL);
        if (p == null) {
            throw new SrgException(401, "Unauthorized", null, "authentication required");
        }
        return p;
    }

    static <T> T body(Context ctx, Class<T> type) {
        byte[] bytes = ctx.bodyAsBytes();
        String contentType = ctx.contentType();
        if (bytes.length == 0 && contentType == null) {
            throw SrgException.invalid(null, "MissingParameter", "a JSON request body is required");
        }
        if (!isJson(contentType)) {
            throw new SrgException(415, "UnsupportedMediaType", null, "the request body must be JSON sent as"
                    + " Content-Type: application/json, not " + (contentType == null ? "without a Content-Type" : contentType));
        }
        if (bytes.length == 0) {
            throw SrgException.invalid(null, "MissingParameter", "a JSON request body is required");
        }
        checkStrings(bytes);
        T value = Json.MAPPER.readValue(bytes, type);
        if (value == null) {
            throw SrgException.invalid(null, "InvalidParameter.Json", "the request body must be a JSON object, not null");
        }
        return value;
    }

    /** {@code application/json} or any {@code application/*+json}, parameters (charset) aside. */
    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
        return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
    }

    /**
     * Every string and key of a JSON body is text PostgreSQL can store as it was sent: no NUL (it
     * refuses it) and no unpaired UTF-16 surrogate (it would become '?'). Refused naming the field.
     */
    private static void checkStrings(byte[] body) {
        try (JsonParser p = Json.MAPPER.createParser(body)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.VALUE_STRING || t == JsonToken.PROPERTY_NAME) {
                    String bad = badText(p.getString());
                    if (bad != null) {
                        String field = path(p.streamReadContext());
                        throw SrgException.invalid(field, "InvalidParameter.Characters",
                                (field == null ? "a string of the body" : field) + " " + bad);
                    }
                }
            }
        }
    }

    /** Why {@code s} cannot be stored as text, or null when it can. */
    static String badText(String s) {
        return Names.badText(s);
    }

    /** The dotted path of the current value ({@code billingCycle.unit}, {@code policies[1]}), or null at the root. */
    private static String path(TokenStreamContext context) {
        java.util.Deque<String> parts = new java.util.ArrayDeque<>();
        for (TokenStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inObject() && c.currentName() != null) {
                parts.push(c.currentName());
            } else if (c.inArray()) {
                parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String part : parts) {
            if (!sb.isEmpty() && !part.startsWith("[")) {
                sb.append('.');
            }
            sb.append(part);
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    /** Query parameters carry only storable text (see {@link #checkStrings}); checked for every API call. */
    static void checkParameters(Context ctx) {
        for (var e : ctx.queryParamMap().entrySet()) {
            String bad = badText(e.getKey());
            for (String v : e.getValue()) {
                if (bad == null) {
                    bad = badText(v);
                }
            }
            if (bad != null) {
                String field = badText(e.getKey()) == null ? e.getKey() : null;
                throw SrgException.invalid(field, "InvalidParameter.Characters",
                        (field == null ? "a query parameter" : field) + " " + bad);
            }
        }
        String path = ctx.path();
        if (badText(path) != null) {
            throw SrgException.invalid(null, "InvalidParameter.Characters", "the path " + badText(path));
        }
    }

    static PageRequest page(Context ctx) {
        return PageRequest.parse(ctx.queryParam("pageSize"), ctx.queryParam("pageToken"));
    }

    static <E extends Enum<E>> E enumParam(Context ctx, String name, Class<E> type) {
        String value = ctx.queryParam(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return Enum.valueOf(type, value);
        } catch (IllegalArgumentException e) {
            throw SrgException.invalid(name, "InvalidParameter.Enum",
                    "'" + value + "' is not a valid " + name + "; valid values: " + Arrays.toString(type.getEnumConstants()));
        }
    }

    static Instant instantParam(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        Instant t;
        try {
            t = Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw SrgException.invalid(name, "InvalidParameter.Time", name + " must be an RFC 3339 UTC time such as 2026-01-31T12:00:00Z");
        }
        // RFC 3339 years are 0000..9999; beyond them arithmetic on times overflows
        if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
            throw SrgException.invalid(name, "InvalidParameter.Time", name + " must be between " + EARLIEST + " and " + LATEST);
        }
        return t;
    }

    static boolean booleanParam(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null || value.isEmpty() || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw SrgException.invalid(name, "InvalidParameter.Boolean", name + " must be true or false");
    }
}
