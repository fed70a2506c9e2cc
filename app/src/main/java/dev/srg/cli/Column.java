package dev.srg.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;

/** One column of a table printed from JSON: a header and how to read its cell (null for none). */
record Column(String header, Function<JsonNode, String> value) {
    static Column of(String header, Function<JsonNode, String> value) {
        return new Column(header, value);
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

    String cell(JsonNode row) {
        String v = value.apply(row);
        return v == null || v.isEmpty() ? "-" : v;
    }
}
