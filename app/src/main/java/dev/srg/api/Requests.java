package dev.srg.api;

import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.json.Json;
import dev.srg.store.PageRequest;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;

/** Reading what a request carries: the caller, a strict JSON body, query parameters. */
final class Requests {
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
        if (bytes.length == 0) {
            throw SrgException.invalid(null, "MissingParameter", "a JSON request body is required");
        }
        T value = Json.MAPPER.readValue(bytes, type);
        if (value == null) {
            throw SrgException.invalid(null, "InvalidParameter.Json", "the request body must be a JSON object, not null");
        }
        return value;
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
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw SrgException.invalid(name, "InvalidParameter.Time", name + " must be an RFC 3339 UTC time such as 2026-01-31T12:00:00Z");
        }
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
