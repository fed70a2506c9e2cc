package dev.srg.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;

/**
 * The usage curve of {@code srg rg usage ID --since 24h} as a small terminal chart: one sparkline
 * per series (used CU in all and per usage type, queued instances), one character per column
 * (consecutive steps merged by their maximum when there are more steps than columns), a blank
 * where no point exists (the server was not running), then now, mean and max.
 */
final class UsageChart {
    static final int MAX_COLUMNS = 72;
    private static final char[] LEVELS = {'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'};

    private UsageChart() {}

    static String render(JsonNode history) {
        Instant from = Instant.parse(history.path("from").asString());
        Instant to = Instant.parse(history.path("to").asString());
        long step = history.path("stepSeconds").asLong();
        int steps = (int) Math.max(1, (Duration.between(from, to).getSeconds() + step - 1) / step);
        int perColumn = (steps + MAX_COLUMNS - 1) / MAX_COLUMNS;
        int columns = (steps + perColumn - 1) / perColumn;
        List<JsonNode> points = new ArrayList<>();
        history.path("points").forEach(points::add);

        double capacity = 0;
        for (JsonNode p : points) {
            capacity = Math.max(capacity, p.path("capacityCu").asDouble());
        }
        Map<String, Function<JsonNode, JsonNode>> series = new LinkedHashMap<>();
        series.put("USED CU", p -> p.path("usedCu"));
        List<String> types = new ArrayList<>();
        for (JsonNode p : points) {
            p.path("byUsageType").propertyNames().forEach(t -> {
                if (!types.contains(t)) {
                    types.add(t);
                }
            });
        }
        for (String t : types) {
            series.put("  " + t, p -> p.path("byUsageType").path(t).path("usedCu"));
        }
        StringBuilder out = new StringBuilder();
        out.append("usage of ").append(history.path("resourceGroupId").asString()).append("  ").append(from).append(" .. ")
                .append(to).append("  step ").append(human(step * perColumn)).append(", ").append(points.size()).append(" point(s)")
                .append(capacity > 0 ? ", capacity " + num(capacity) + " CU" : "").append('\n');
        int label = Math.max(10, series.keySet().stream().mapToInt(String::length).max().orElse(0));
        out.append(String.format(Locale.ROOT, "%-" + label + "s  %-" + columns + "s  %8s %8s %8s%n", "", "", "now", "mean", "max"));
        for (Map.Entry<String, Function<JsonNode, JsonNode>> e : series.entrySet()) {
            line(out, label, e.getKey(), points, from, step, perColumn, columns, e.getValue(), capacity);
        }
        line(out, label, "QUEUED", points, from, step, perColumn, columns, p -> p.path("maxQueued"), 0);
        if (points.isEmpty()) {
            out.append("(no points in this range: the group was idle before it existed, or the server was not running)\n");
        }
        return out.toString();
    }

    private static void line(StringBuilder out, int label, String name, List<JsonNode> points, Instant from, long step,
                             int perColumn, int columns, Function<JsonNode, JsonNode> value, double scale) {
        double[] column = new double[columns];
        boolean[] seen = new boolean[columns];
        double sum = 0;
        double max = 0;
        double last = 0;
        for (JsonNode p : points) {
            long index = Duration.between(from, Instant.parse(p.path("time").asString())).getSeconds() / step;
            int c = (int) Math.min(columns - 1, Math.max(0, index / perColumn));
            JsonNode v = value.apply(p);
            double d = v.isNumber() ? v.asDouble() : 0;
            column[c] = seen[c] ? Math.max(column[c], d) : d;
            seen[c] = true;
            sum += d;
            max = Math.max(max, d);
            last = d;
        }
        double top = scale > 0 ? Math.max(scale, max) : Math.max(1, max);
        StringBuilder spark = new StringBuilder();
        for (int c = 0; c < columns; c++) {
            if (!seen[c]) {
                spark.append(' ');
            } else if (column[c] <= 0) {
                spark.append(LEVELS[0]);
            } else {
                spark.append(LEVELS[(int) Math.max(1, Math.min(7, Math.ceil(column[c] / top * 7)))]);
            }
        }
        out.append(String.format(Locale.ROOT, "%-" + label + "s  %s  %8s %8s %8s%n", name, spark,
                points.isEmpty() ? "-" : num(last), points.isEmpty() ? "-" : num(sum / points.size()), points.isEmpty() ? "-" : num(max)));
    }

    private static String num(double d) {
        BigDecimal b = BigDecimal.valueOf(d).setScale(2, RoundingMode.HALF_UP).stripTrailingZeros();
        return (b.scale() < 0 ? b.setScale(0) : b).toPlainString();
    }

    static String human(long seconds) {
        if (seconds % 86400 == 0) {
            return seconds / 86400 + "d";
        }
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
    }
}
