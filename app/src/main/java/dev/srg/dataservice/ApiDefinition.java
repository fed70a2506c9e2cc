package dev.srg.dataservice;

import java.util.List;

/**
 * What an API is (DS-1): stored as the draft of an API and, frozen, as each published version.
 *
 * @param method GET (query parameters) or POST (a JSON body)
 * @param mode SCRIPT ({@code sql} with {@code ${name}} parameters) or WIZARD (one table)
 * @param paging whether calls are paged ({@code pageNum}, {@code pageSize}, {@code totalNum}); off: at most 500 rows (DS-4)
 * @param timeoutMillis at most 30000 (DS-1): a query still running then is cancelled on the database
 * @param qps calls per second over which calls get 429 (DS-6)
 */
public record ApiDefinition(String method, String mode, String dataSourceId, String resourceGroupId, String sql, Wizard wizard,
                            List<Parameter> parameters, boolean paging, int timeoutMillis, int qps) {
    public ApiDefinition {
        parameters = parameters == null ? List.of() : List.copyOf(parameters);
    }

    /**
     * A request parameter: its type, whether it is required, its default when left out; in WIZARD
     * mode the column it filters and the operator ({@code = != < <= > >= LIKE IN}).
     */
    public record Parameter(String name, ParamType type, Boolean required, String defaultValue, String operator, String column,
                            String description) {}

    /** WIZARD mode: one table, the columns answered, an optional order. */
    public record Wizard(String table, List<String> responseFields, List<Order> orderBy) {}

    /** One ORDER BY column, {@code ASC} (the default) or {@code DESC}. */
    public record Order(String column, String direction) {}
}
