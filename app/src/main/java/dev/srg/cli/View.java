package dev.srg.cli;

import java.util.List;

/**
 * How a resource prints as text: {@code columns} for one row per item in lists, and for a single
 * resource the same columns plus {@code details}, one "HEADER  value" line each.
 */
record View(List<Column> columns, List<Column> details) {
    View {
        columns = List.copyOf(columns);
        details = List.copyOf(details);
    }

    View(List<Column> columns) {
        this(columns, List.of());
    }
}
