package dev.srg.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;

/**
 * One column of a table printed from JSON: a header, how to read its cell (null for none), and how
 * to read it on a single resource's page ({@code detail}: more exact, e.g. a time with its age).
 * {@code ref} names the field when the column shows another resource's id (or a list of them, e.g.
 * {@code resourceGroupId}, {@code workspaceIds}): the table shows that resource's name instead, a
 * single resource's page the name and the id ({@link Names.Labels}).
 */
record Column(String header, Function<JsonNode, String> value, Function<JsonNode, String> full, String ref) {
    Column(String header, Function<JsonNode, String> value) {
        this(header, value, value, null);
    }

    Column(String header, Function<JsonNode, String> value, Function<JsonNode, String> full) {
        this(header, value, full, null);
    }

    static Column of(String header, Function<JsonNode, String> value) {
        return new Column(header, value);
    }

    /** A timestamp field: its age in lists ({@code 5m ago}), the time and its age on one resource. */
    static Column time(String header, String name) {
        return new Column(header, n -> Human.age(text(n.path(name)), Human.now()), n -> {
            String t = text(n.path(name));
            String age = Human.age(t, Human.now());
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

    /** A scalar field, as the server wrote it; another resource's id ({@link Names#REFS}) shown by its name. */
    static Column field(String header, String name) {
        Function<JsonNode, String> value = n -> text(n.path(name));
        return new Column(header, value, value, Names.REFS.containsKey(name) ? name : null);
    }

    /** A field shown exactly as the server wrote it, even an id another column shows by name. */
    static Column id(String header, String name) {
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

    /** An array of strings joined with commas; other resources' ids ({@link Names#REFS}) by their names. */
    static Column joined(String header, String name) {
        Column c = joined(header, name, Column::text);
        return new Column(header, c.value(), c.full(), Names.REFS.containsKey(name) ? name : null);
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

    /** The ids this column shows of other resources (none when it shows none). */
    List<String> refIds(JsonNode row) {
        if (ref == null) {
            return List.of();
        }
        JsonNode v = row.path(ref);
        List<String> ids = new ArrayList<>();
        if (v.isArray()) {
            v.forEach(e -> ids.add(e.asString()));
        } else if (v.isString()) {
            ids.add(v.asString());
        }
        return ids;
    }

    String detail(JsonNode row, Names.Labels labels) {
        List<String> ids = refIds(row);
        return ids.isEmpty() ? full.apply(row) : String.join(", ", ids.stream().map(id -> {
            String name = labels.label(ref, id);
            return name.equals(id) ? id : name + " (" + id + ")";
        }).toList());
    }

    String cell(JsonNode row, Names.Labels labels) {
        List<String> ids = refIds(row);
        String v = ids.isEmpty() ? value.apply(row) : String.join(", ", ids.stream().map(id -> labels.label(ref, id)).toList());
        return v == null || v.isEmpty() ? "-" : v;
    }
}
