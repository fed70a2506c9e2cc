package dev.srg.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;

/**
 * One column of a table printed from JSON: a header, how to read its cell (null for none), and how
 * to read it on a single resource's page ({@code detail}: more exact, e.g. a time with its age).
 */
record Column(String header, Function<JsonNode, String> value, Function<JsonNode, String> full) {
    Column(String header, Function<JsonNode, String> value) {
        this(header, value, value);
    }

    static Column of(String header, Function<JsonNode, String> value) {
        return new Column(header, value);
    }

    /** A timestamp field: its age in lists ({@code 5m ago}), the time and its age on one resource. */
    static Column time(String header, String name) {
        return new Column(header, n -> Human.age(text(n.path(name)), Instant.now()), n -> {
            String t = text(n.path(name));
            String age = Human.age(t, Instant.now());
            return t == null ? null : age == null || age.equals(t) ? t : t + " (" + age + ")";
        });
    }

    /** A field of milliseconds as a duration: {@code 850ms}, {@code 1m 23s}, {@code 2h 5m}. */
    static Column millis(String header, String name) {
        return new Column(header, n -> n.path(name).isNumber() ? Human.duration(n.path(name).asLong()) : null);
    }

    /** A field of bytes in binary units: {@code 512 B}, {@code 1.5 GiB}. */
    static Column bytes(String header, Function<JsonNode, JsonNode> field) {
        return new Column(header, n -> field.apply(n).isNumber() ? Human.bytes(field.apply(n).asLong()) : null);
    }

    /** A scalar field, as the server wrote it. */
    static Column field(String header, String name) {
        return new Column(header, n -> text(n.path(name)));
    }

    /** How many elements an array field holds. */
    static Column count(String header, String name) {
        return new Column(header, n -> n.path(name).isArray() ? String.valueOf(n.path(name).size()) : null);
    }

    /** An array field joined with commas: its strings, or the given field of its objects. */
    static Column joined(String header, String name, Function<JsonNode, String> element) {
        return new Column(header, n -> {
            List<String> parts = new ArrayList<>();
            for (JsonNode e : n.path(name)) {
                parts.add(element.apply(e));
            }
            return parts.isEmpty() ? null : String.join(", ", parts);
        });
    }

    static Column joined(String header, String name) {
        return joined(header, name, Column::text);
    }

    /** A value node as text (numbers plain: 10, not 1E+1 or 10.0); null for missing or JSON null; containers as JSON. */
    static String text(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) {
            return null;
        }
        if (n.isNumber()) {
            return n.decimalValue().stripTrailingZeros().toPlainString();
        }
        return n.isValueNode() ? n.asString() : n.toString();
    }

    String detail(JsonNode row) {
        return full.apply(row);
    }

    String cell(JsonNode row) {
        String v = value.apply(row);
        return v == null || v.isEmpty() ? "-" : v;
    }
}
