package dev.srg.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Prints answers as kubectl does: an aligned table that fits the terminal ({@code $COLUMNS}),
 * {@code wide} (every column, nothing cut), the server's {@code json} or the same as {@code yaml},
 * or {@code name} (one id a line, for scripts).
 */
final class Output {
    enum Format { table, wide, json, yaml, name }

    /** A cut cell ends with this. */
    static final String CUT = "…";
    private static final int NARROWEST = 5;

    private final PrintWriter out;
    private final Format format;
    /** The terminal's width in characters, 0 when unknown (no cutting); asked only when a table is printed. */
    private final IntSupplier width;
    /** Other resources' names for the columns that show their ids; asked only for a table. */
    private final Supplier<Names.Labels> labels;

    Output(PrintWriter out, Format format) {
        this(out, format, () -> 0, () -> Names.Labels.NONE);
    }

    Output(PrintWriter out, Format format, IntSupplier width, Supplier<Names.Labels> labels) {
        this.out = out;
        this.format = format;
        this.width = width;
        this.labels = labels;
    }

    /** The labels for these columns of these rows, their names asked for at once (nothing asked when no column shows an id). */
    private Names.Labels labels(List<Column> columns, List<JsonNode> rows) {
        Map<String, Set<String>> ids = new LinkedHashMap<>();
        for (Column c : columns) {
            for (JsonNode row : rows) {
                List<String> refs = c.refIds(row);
                if (!refs.isEmpty()) {
                    ids.computeIfAbsent(c.ref(), k -> new TreeSet<>()).addAll(refs);
                }
            }
        }
        if (ids.isEmpty()) {
            return Names.Labels.NONE;
        }
        Names.Labels l = labels.get();
        l.prefetch(ids);
        return l;
    }

    /**
     * The terminal width: {@code $COLUMNS} when set (shells export it to programs only when asked),
     * else the width of the terminal standard output is (none when it is a file or a pipe: a
     * script reading the table gets every character).
     */
    static IntSupplier terminalWidth(Map<String, String> env) {
        String columns = env.get("COLUMNS");
        if (columns == null || columns.isBlank()) {
            return Terminal::stdoutColumns;
        }
        try {
            int w = Math.max(0, Integer.parseInt(columns.strip()));
            return () -> w;
        } catch (NumberFormatException e) {
            return () -> 0;
        }
    }

    /** Whether the output is a table (not json, yaml or names): a report's rows are shown as a table then. */
    boolean table() {
        return format == Format.table || format == Format.wide;
    }

    /** One resource: a "HEADER  value" line per column and detail that has a value. */
    void one(JsonNode node, View view) {
        switch (format) {
            case json -> json(node);
            case yaml -> yaml(node);
            case name -> name(List.of(node));
            case table, wide -> {
                List<String[]> rows = new ArrayList<>();
                List<Column> all = new ArrayList<>(view.columns());
                all.addAll(view.details());
                Names.Labels names = labels(all, List.of(node));
                for (List<Column> columns : List.of(view.columns(), view.details())) {
                    for (Column c : columns) {
                        String v = c.detail(node, names);
                        if (v != null && !v.isEmpty()) {
                            rows.add(new String[] {c.header(), v});
                        }
                    }
                }
                table(rows, false);
            }
        }
    }

    /** Many resources: a header line and one row each (json, yaml: one array of them all). */
    void many(List<JsonNode> items, View view) {
        switch (format) {
            case json, yaml -> {
                ArrayNode array = JsonNodeFactory.instance.arrayNode();
                items.forEach(array::add);
                if (format == Format.json) {
                    json(array);
                } else {
                    yaml(array);
                }
            }
            case name -> name(items);
            case table, wide -> {
                List<Column> columns = new ArrayList<>(view.columns());
                if (format == Format.wide) {
                    columns.addAll(view.details());
                }
                Names.Labels names = labels(columns, items);
                List<String[]> rows = new ArrayList<>();
                rows.add(columns.stream().map(Column::header).toArray(String[]::new));
                for (JsonNode item : items) {
                    rows.add(columns.stream().map(c -> c.cell(item, names)).toArray(String[]::new));
                }
                table(rows, format == Format.table);
            }
        }
    }

    /** What a command did when the server answers nothing (204); silent in json, yaml and name. */
    void done(String message) {
        if (format == Format.table || format == Format.wide) {
            out.println(message);
            out.flush();
        }
    }

    boolean isTable() {
        return format == Format.table || format == Format.wide;
    }

    private void name(List<JsonNode> items) {
        for (JsonNode item : items) {
            String id = Column.text(item.path("id"));
            if (id != null) {
                out.println(id);
            }
        }
        out.flush();
    }

    private void json(JsonNode node) {
        out.println(JsonTree.pretty(node));
        out.flush();
    }

    private void yaml(JsonNode node) {
        StringBuilder b = new StringBuilder();
        Yaml.write(node, b);
        out.print(b);
        out.flush();
    }

    private void table(List<String[]> rows, boolean fit) {
        int columns = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        int[] w = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        if (fit) {
            shrink(w, width.getAsInt());
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                String cell = row[i].length() > w[i] ? row[i].substring(0, Math.max(0, w[i] - 1)) + CUT : row[i];
                line.append(cell);
                if (i < row.length - 1) {
                    line.append(" ".repeat(w[i] - cell.length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }

    /**
     * Narrows the widest columns, one character at a time, until the table fits: never the first
     * (the id, which users copy), none below 5 characters.
     */
    private static void shrink(int[] w, int width) {
        while (width > 0 && total(w) > width) {
            int widest = -1;
            for (int i = 1; i < w.length; i++) {
                if (w[i] > NARROWEST && (widest < 0 || w[i] > w[widest])) {
                    widest = i;
                }
            }
            if (widest < 0) {
                return;
            }
            w[widest]--;
        }
    }

    private static int total(int[] w) {
        int sum = 2 * Math.max(0, w.length - 1);
        for (int x : w) {
            sum += x;
        }
        return sum;
    }

    /** A small YAML writer for JSON trees (block style; strings quoted as JSON when YAML could misread them). */
    static final class Yaml {
        private static final Pattern PLAIN = Pattern.compile("[A-Za-z_./][A-Za-z0-9_ ./@+-]*");
        private static final List<String> RESERVED = List.of("true", "false", "null", "yes", "no", "on", "off", "y", "n", "~");

        private Yaml() {}

        static void write(JsonNode node, StringBuilder b) {
            if (node.isContainer() && !node.isEmpty()) {
                block(node, b, 0);
            } else {
                b.append(scalar(node)).append('\n');
            }
        }

        private static void block(JsonNode node, StringBuilder b, int indent) {
            String pad = " ".repeat(indent);
            if (node.isArray()) {
                for (JsonNode e : node) {
                    b.append(pad).append("- ");
                    if (e.isContainer() && !e.isEmpty()) {
                        StringBuilder inner = new StringBuilder();
                        block(e, inner, indent + 2);
                        b.append(inner.substring(indent + 2)); // the first line goes after the dash
                    } else {
                        b.append(scalar(e)).append('\n');
                    }
                }
                return;
            }
            for (var field : node.properties()) {
                b.append(pad).append(key(field.getKey())).append(':');
                JsonNode v = field.getValue();
                if (v.isContainer() && !v.isEmpty()) {
                    b.append('\n');
                    block(v, b, indent + 2);
                } else {
                    b.append(' ').append(scalar(v)).append('\n');
                }
            }
        }

        private static String key(String k) {
            return PLAIN.matcher(k).matches() && !RESERVED.contains(k.toLowerCase(Locale.ROOT)) ? k : JsonTree.write(k);
        }

        private static String scalar(JsonNode n) {
            if (n.isNull() || n.isMissingNode()) {
                return "null";
            }
            if (n.isArray()) {
                return "[]";
            }
            if (n.isObject()) {
                return "{}";
            }
            if (n.isNumber() || n.isBoolean()) {
                return Column.text(n);
            }
            String s = n.asString();
            boolean plain = PLAIN.matcher(s).matches() && !s.endsWith(" ") && !RESERVED.contains(s.toLowerCase(Locale.ROOT));
            return plain ? s : JsonTree.write(s);
        }
    }
}
