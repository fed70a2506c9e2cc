package dev.srg.dataservice;

import dev.srg.error.SrgException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One call's statement: the SQL (placeholders only), its bound values by type, the count query
 * when paged, and how many rows may come back (DS-4). Built from a version's definition and the
 * caller's values, each parsed by its parameter's type first ({@link ParamType}).
 *
 * @param bound what was bound, by parameter name, for the test answer (the values, never spliced); empty for a call
 */
public record QueryPlan(String sql, List<List<String>> binds, String countSql, List<List<String>> countBinds, int maxRows,
                        int pageNum, int pageSize, List<Map<String, Object>> bound) {
    /** DS-4: without paging an API answers at most this many rows. */
    public static final int MAX_ROWS_UNPAGED = 500;
    public static final int MAX_PAGE_SIZE = 500;
    public static final int DEFAULT_PAGE_SIZE = 20;
    static final int MAX_IN_VALUES = 100;
    static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    static final Set<String> OPERATORS = Set.of("=", "!=", "<", "<=", ">", ">=", "LIKE", "IN");
    static final Set<String> RESERVED = Set.of("pageNum", "pageSize");

    /**
     * @param values the caller's values by parameter name (a query parameter may repeat; IN takes several)
     * @param mysql whether the data source is MySQL/MariaDB (identifier quotes)
     * @param explain whether {@link #bound} is wanted (a test's answer shows it; a call's does not, and
     *     building it was a map per parameter on every call)
     */
    public static QueryPlan of(ApiDefinition def, SqlTemplate template, boolean mysql, Map<String, List<String>> values,
                               String pageNumText, String pageSizeText, boolean explain) {
        for (String given : values.keySet()) {
            if (index(def, given) < 0) {
                throw SrgException.invalid(given, "InvalidParameter.DataService.UnknownParameter",
                        "this API has no parameter '" + given + "'; it takes "
                                + def.parameters().stream().map(ApiDefinition.Parameter::name).toList());
            }
        }
        int pageNum = 1;
        int pageSize = def.paging() ? DEFAULT_PAGE_SIZE : MAX_ROWS_UNPAGED;
        if (def.paging()) {
            pageNum = pageNumber("pageNum", pageNumText, 1, 1, 1_000_000);
            pageSize = pageNumber("pageSize", pageSizeText, DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
        } else if (pageNumText != null || pageSizeText != null) {
            throw SrgException.invalid(pageNumText != null ? "pageNum" : "pageSize", "InvalidParameter.DataService.Paging",
                    "this API is not paged (it answers at most " + MAX_ROWS_UNPAGED + " rows)");
        }
        List<Map<String, Object>> bound = explain ? new ArrayList<>() : List.of();
        List<List<String>> binds = new ArrayList<>();
        String sql;
        if ("SCRIPT".equals(def.mode())) {
            String[] single = new String[def.parameters().size()];
            for (int i = 0; i < single.length; i++) {
                ApiDefinition.Parameter p = def.parameters().get(i);
                List<String> given = values.get(p.name());
                if (given != null && given.size() > 1) {
                    throw SrgException.invalid(p.name(), "InvalidParameter.DataService.ParameterValue",
                            "parameter '" + p.name() + "' takes one value, got " + given.size());
                }
                single[i] = value(p, given == null ? null : given.get(0));
                if (explain) {
                    bound.add(boundEntry(p, single[i]));
                }
            }
            for (String name : template.parameterOrder()) {
                int i = index(def, name);
                binds.add(bind(def.parameters().get(i).type(), single[i]));
            }
            sql = template.sql();
        } else {
            StringBuilder where = new StringBuilder();
            for (ApiDefinition.Parameter p : def.parameters()) {
                List<String> given = values.get(p.name());
                String column = quote(p.column(), mysql);
                if ("IN".equals(p.operator())) {
                    List<String> items = given == null ? null : given.size() == 1 ? List.of(given.get(0).split(",", -1)) : given;
                    if (items == null && p.defaultValue() != null) {
                        items = List.of(p.defaultValue().split(",", -1));
                    }
                    if (items == null) {
                        requireOptional(p);
                        continue;
                    }
                    if (items.isEmpty() || items.size() > MAX_IN_VALUES) {
                        throw SrgException.invalid(p.name(), "InvalidParameter.DataService.ParameterValue",
                                "parameter '" + p.name() + "' takes 1 to " + MAX_IN_VALUES + " values");
                    }
                    List<String> canonical = new ArrayList<>();
                    for (String item : items) {
                        String v = p.type().canonical(p.name(), item);
                        canonical.add(v);
                        binds.add(bind(p.type(), v));
                    }
                    if (explain) {
                        bound.add(Map.of("name", p.name(), "type", p.type().name(), "value", canonical));
                    }
                    where.append(where.isEmpty() ? " WHERE " : " AND ").append(column).append(" IN (")
                            .append(String.join(", ", java.util.Collections.nCopies(items.size(), "?"))).append(')');
                    continue;
                }
                if (given != null && given.size() > 1) {
                    throw SrgException.invalid(p.name(), "InvalidParameter.DataService.ParameterValue",
                            "parameter '" + p.name() + "' takes one value, got " + given.size());
                }
                String value = value(p, given == null ? null : given.get(0));
                if (value == null) {
                    continue; // an optional filter left out: no clause
                }
                if (explain) {
                    bound.add(boundEntry(p, value));
                }
                binds.add(bind(p.type(), value));
                String op = p.operator().equals("!=") ? "<>" : p.operator();
                where.append(where.isEmpty() ? " WHERE " : " AND ").append(column).append(' ').append(op).append(" ?");
            }
            ApiDefinition.Wizard w = def.wizard();
            StringBuilder s = new StringBuilder("SELECT ")
                    .append(w.responseFields().stream().map(f -> quote(f, mysql)).collect(Collectors.joining(", ")))
                    .append(" FROM ").append(quote(w.table(), mysql)).append(where);
            if (w.orderBy() != null && !w.orderBy().isEmpty()) {
                s.append(" ORDER BY ").append(w.orderBy().stream()
                        .map(o -> quote(o.column(), mysql) + ("DESC".equals(o.direction()) ? " DESC" : " ASC"))
                        .collect(Collectors.joining(", ")));
            }
            sql = s.toString();
        }
        if (!def.paging()) {
            return new QueryPlan(sql, binds, null, null, MAX_ROWS_UNPAGED, 1, MAX_ROWS_UNPAGED, bound);
        }
        List<List<String>> paged = new ArrayList<>(binds);
        paged.add(List.of(ParamType.LONG.name(), Integer.toString(pageSize)));
        paged.add(List.of(ParamType.LONG.name(), Long.toString((long) (pageNum - 1) * pageSize)));
        return new QueryPlan("SELECT * FROM (" + sql + ") srg_q LIMIT ? OFFSET ?", paged,
                "SELECT count(*) FROM (" + sql + ") srg_q", binds, pageSize, pageNum, pageSize, bound);
    }

    /** Where the parameter named {@code name} is in the definition, or -1 (an API has a few: a scan, not a map per call). */
    private static int index(ApiDefinition def, String name) {
        List<ApiDefinition.Parameter> ps = def.parameters();
        for (int i = 0; i < ps.size(); i++) {
            if (ps.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static String value(ApiDefinition.Parameter p, String given) {
        if (given != null) {
            return p.type().canonical(p.name(), given);
        }
        if (p.defaultValue() != null) {
            return p.defaultValue();
        }
        requireOptional(p);
        return null;
    }

    private static void requireOptional(ApiDefinition.Parameter p) {
        if (Boolean.TRUE.equals(p.required())) {
            throw SrgException.invalid(p.name(), "MissingParameter", "parameter '" + p.name() + "' is required");
        }
    }

    private static Map<String, Object> boundEntry(ApiDefinition.Parameter p, String value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("type", p.type().name());
        m.put("value", value);
        return m;
    }

    private static List<String> bind(ParamType type, String value) {
        List<String> b = new ArrayList<>(2);
        b.add(type.name());
        b.add(value);
        return b;
    }

    private static int pageNumber(String field, String text, int fallback, int min, int max) {
        if (text == null || text.isEmpty()) {
            return fallback;
        }
        if (!text.matches("[0-9]{1,9}")) {
            throw SrgException.invalid(field, "InvalidParameter.DataService.Paging", field + " must be " + min + " to " + max);
        }
        int v = Integer.parseInt(text);
        if (v < min || v > max) {
            throw SrgException.invalid(field, "InvalidParameter.DataService.Paging", field + " must be " + min + " to " + max
                    + ", got " + v);
        }
        return v;
    }

    /** A checked identifier ({@code name} or {@code schema.name}) in the data source's quotes. */
    static String quote(String identifier, boolean mysql) {
        char q = mysql ? '`' : '"';
        StringBuilder out = new StringBuilder();
        for (String part : identifier.split("\\.", -1)) {
            if (!IDENTIFIER.matcher(part).matches()) {
                throw new IllegalArgumentException("not a checked identifier: " + identifier);
            }
            if (!out.isEmpty()) {
                out.append('.');
            }
            out.append(q).append(part).append(q);
        }
        return out.toString();
    }
}
