package dev.srg.cli;

import dev.srg.json.Json;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/** Prints answers as aligned text tables or as the server's JSON, pretty-printed. */
final class Output {
    enum Format { table, json }

    private final PrintWriter out;
    private final Format format;

    Output(PrintWriter out, Format format) {
        this.out = out;
        this.format = format;
    }

    /** One resource: a "HEADER  value" line per column and detail that has a value. */
    void one(JsonNode node, View view) {
        if (format == Format.json) {
            json(node);
            return;
        }
        List<String[]> rows = new ArrayList<>();
        for (List<Column> columns : List.of(view.columns(), view.details())) {
            for (Column c : columns) {
                String v = c.value().apply(node);
                if (v != null && !v.isEmpty()) {
                    rows.add(new String[] {c.header(), v});
                }
            }
        }
        table(rows);
    }

    /** Many resources: a header line and one row each (json: one array of them all). */
    void many(List<JsonNode> items, View view) {
        if (format == Format.json) {
            ArrayNode array = Json.MAPPER.createArrayNode();
            items.forEach(array::add);
            json(array);
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(view.columns().stream().map(Column::header).toArray(String[]::new));
        for (JsonNode item : items) {
            rows.add(view.columns().stream().map(c -> c.cell(item)).toArray(String[]::new));
        }
        table(rows);
    }

    /** What a command did when the server answers nothing (204); silent in json. */
    void done(String message) {
        if (format == Format.table) {
            out.println(message);
            out.flush();
        }
    }

    private void json(JsonNode node) {
        out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        out.flush();
    }

    private void table(List<String[]> rows) {
        int columns = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                if (i < row.length - 1) {
                    line.append(" ".repeat(width[i] - row[i].length() + 2));
                }
            }
            out.println(line);
        }
        out.flush();
    }
}
