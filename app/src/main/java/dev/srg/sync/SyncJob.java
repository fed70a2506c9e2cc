package dev.srg.sync;

import dev.srg.error.SrgException;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The job of a sync task (SPEC DI-2), as DataWorks' code editor writes it
 * ({@code {setting, reader: {plugin, parameter}, writer: {plugin, parameter}}}) or as DataX does
 * ({@code {job: {setting, content: [{reader: {name: "postgresqlreader", parameter}, writer}]}}}),
 * checked and brought to the first form. Data sources are named ({@code datasource}), never given
 * as URLs and passwords. Every refusal is a 400 naming the field ({@code sync.reader.parameter.table}).
 */
public final class SyncJob {
    public static final Set<String> PLUGINS = Set.of("postgresql", "mysql", "txtfile");
    public static final Set<String> WRITE_MODES = Set.of("insert", "replace", "update");
    public static final int MAX_CHANNEL = 32;
    public static final int DEFAULT_BATCH_SIZE = 1024;
    static final int MAX_RETRIES = 10;
    static final int MAX_RETRY_INTERVAL_SECONDS = 1800;
    static final int DEFAULT_RETRY_INTERVAL_SECONDS = 60;
    public static final int MAX_BATCH_SIZE = 65536;
    /** Table names as DataX takes them: a name or schema.name, quoted by the worker. */
    static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}(\\.[A-Za-z_][A-Za-z0-9_$]{0,62})?");
    static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");
    private static final Set<String> JOB_FIELDS = Set.of("setting", "reader", "writer", "watermark");
    private static final Set<String> DB_READER = Set.of("datasource", "table", "column", "where", "querySql", "splitPk",
            "connection", "fetchSize");
    private static final Set<String> DB_WRITER = Set.of("datasource", "table", "column", "writeMode", "preSql", "postSql",
            "batchSize", "connection");
    private static final Set<String> TXT_READER = Set.of("datasource", "path", "column", "fieldDelimiter", "encoding", "header",
            "skipHeader", "nullFormat");
    private static final Set<String> TXT_WRITER = Set.of("datasource", "path", "fileName", "column", "fieldDelimiter", "encoding",
            "header", "nullFormat", "writeMode");

    private SyncJob() {}

    /** The job in the code editor's form, checked; the data sources still by name. */
    public static Map<String, Object> normalize(Object submitted) {
        Map<String, Object> job = object("sync", submitted);
        if (job.containsKey("job")) {
            job = object("sync.job", job.get("job"));
        }
        if (job.containsKey("content")) {
            job = fromDataX(job);
        }
        for (String key : job.keySet()) {
            if (!JOB_FIELDS.contains(key)) {
                throw unknown("sync." + key, JOB_FIELDS);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("setting", setting(job.get("setting")));
        Map<String, Object> reader = side("reader", job.get("reader"), true);
        Map<String, Object> writer = side("writer", job.get("writer"), false);
        out.put("reader", reader);
        out.put("writer", writer);
        Map<String, Object> rp = params(reader);
        Map<String, Object> wp = params(writer);
        if (rp.get("column") instanceof List<?> rc && wp.get("column") instanceof List<?> wc && rc.size() != wc.size()
                && !rc.equals(List.of("*"))) {
            throw SrgException.invalid("sync.writer.parameter.column", "InvalidParameter.Sync.ColumnCount",
                    "the reader has " + rc.size() + " columns and the writer " + wc.size() + "; they must match one to one");
        }
        if (rp.get("column") instanceof List<?> rc && rc.equals(List.of("*")) && !(wp.get("column") instanceof List<?>)) {
            throw SrgException.invalid("sync.reader.parameter.column", "InvalidParameter.Sync.Column",
                    "column [\"*\"] takes as many fields as the writer has columns; the writer names none");
        }
        if (job.get("watermark") != null) {
            if (writer.get("plugin").equals("txtfile")) {
                throw SrgException.invalid("sync.watermark", "InvalidParameter.Sync.Watermark",
                        "a watermark is kept in the writer's database: an incremental sync needs a database writer");
            }
            out.put("watermark", watermark(job.get("watermark"), reader));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> params(Map<String, Object> side) {
        return (Map<String, Object>) side.get("parameter");
    }

    /** DataX's form: one content element, reader and writer named {@code <plugin>reader}/{@code <plugin>writer}. */
    private static Map<String, Object> fromDataX(Map<String, Object> job) {
        if (!(job.get("content") instanceof List<?> content) || content.size() != 1) {
            throw SrgException.invalid("sync.content", "InvalidParameter.Sync.Content",
                    "content must be a list of exactly one {reader, writer} (one copy per task)");
        }
        Map<String, Object> element = object("sync.content[0]", content.get(0));
        Map<String, Object> out = new LinkedHashMap<>();
        if (job.get("setting") != null) {
            out.put("setting", job.get("setting"));
        }
        for (String role : List.of("reader", "writer")) {
            Map<String, Object> side = object("sync.content[0]." + role, element.get(role));
            Object name = side.get("name");
            if (!(name instanceof String n) || !n.endsWith(role)) {
                throw SrgException.invalid("sync.content[0]." + role + ".name", "InvalidParameter.Sync.Plugin",
                        "a DataX " + role + " is named <plugin>" + role + ", e.g. postgresql" + role + "; got " + name);
            }
            Map<String, Object> converted = new LinkedHashMap<>();
            converted.put("plugin", n.substring(0, n.length() - role.length()));
            converted.put("parameter", side.get("parameter"));
            out.put(role, converted);
        }
        for (Map.Entry<String, Object> e : job.entrySet()) {
            if (!e.getKey().equals("content") && !e.getKey().equals("setting")) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private static Map<String, Object> setting(Object value) {
        Map<String, Object> setting = value == null ? Map.of() : object("sync.setting", value);
        for (String key : setting.keySet()) {
            if (!Set.of("speed", "errorLimit", "retry").contains(key)) {
                throw unknown("sync.setting." + key, Set.of("speed", "errorLimit", "retry"));
            }
        }
        Map<String, Object> speed = setting.get("speed") == null ? Map.of() : object("sync.setting.speed", setting.get("speed"));
        for (String key : speed.keySet()) {
            if (!Set.of("channel", "byte", "record", "concurrent", "throttle", "mbps").contains(key)) {
                throw unknown("sync.setting.speed." + key, Set.of("channel", "byte", "record"));
            }
        }
        Map<String, Object> outSpeed = new LinkedHashMap<>();
        outSpeed.put("channel", integer("sync.setting.speed.channel", speed.getOrDefault("channel", speed.get("concurrent")), 1,
                MAX_CHANNEL, 1));
        // DataX: -1 (or absent) is no limit
        Long bytes = optionalLimit("sync.setting.speed.byte", speed.get("byte"));
        Long records = optionalLimit("sync.setting.speed.record", speed.get("record"));
        if (bytes != null) {
            outSpeed.put("byte", bytes);
        }
        if (records != null) {
            outSpeed.put("record", records);
        }
        Map<String, Object> limit = setting.get("errorLimit") == null ? Map.of()
                : object("sync.setting.errorLimit", setting.get("errorLimit"));
        Map<String, Object> outLimit = new LinkedHashMap<>();
        for (String key : limit.keySet()) {
            if (!Set.of("record", "percentage").contains(key)) {
                throw unknown("sync.setting.errorLimit." + key, Set.of("record", "percentage"));
            }
        }
        if (limit.get("record") != null) {
            outLimit.put("record", (long) integer("sync.setting.errorLimit.record", limit.get("record"), 0, Integer.MAX_VALUE, 0));
        }
        if (limit.get("percentage") != null) {
            if (!(limit.get("percentage") instanceof Number p) || p.doubleValue() < 0 || p.doubleValue() > 1) {
                throw SrgException.invalid("sync.setting.errorLimit.percentage", "InvalidParameter.Sync.ErrorLimit",
                        "errorLimit.percentage is a share of the records read, from 0 to 1; got " + limit.get("percentage"));
            }
            outLimit.put("percentage", p.doubleValue());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("speed", outSpeed);
        out.put("errorLimit", outLimit);
        if (setting.get("retry") != null) {
            out.put("retry", retry(object("sync.setting.retry", setting.get("retry"))));
        }
        return out;
    }

    /**
     * setting.retry {count, intervalSeconds}: DataWorks' rerun on failure — at most 10 more
     * attempts, 1 s to 30 minutes apart (SyncMain says which failures are retried and why a retry
     * never duplicates a row).
     */
    private static Map<String, Object> retry(Map<String, Object> retry) {
        for (String key : retry.keySet()) {
            if (!Set.of("count", "intervalSeconds").contains(key)) {
                throw unknown("sync.setting.retry." + key, Set.of("count", "intervalSeconds"));
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("count", integer("sync.setting.retry.count", retry.get("count"), 0, MAX_RETRIES, 0));
        out.put("intervalSeconds", integer("sync.setting.retry.intervalSeconds", retry.get("intervalSeconds"), 1,
                MAX_RETRY_INTERVAL_SECONDS, DEFAULT_RETRY_INTERVAL_SECONDS));
        return out;
    }

    private static Map<String, Object> side(String role, Object value, boolean reader) {
        String at = "sync." + role;
        Map<String, Object> side = object(at, value);
        for (String key : side.keySet()) {
            if (!Set.of("plugin", "parameter").contains(key)) {
                throw unknown(at + "." + key, Set.of("plugin", "parameter"));
            }
        }
        if (!(side.get("plugin") instanceof String plugin) || !PLUGINS.contains(plugin)) {
            throw SrgException.invalid(at + ".plugin", "InvalidParameter.Sync.Plugin",
                    "plugin must be one of " + PLUGINS.stream().sorted().toList() + "; got " + side.get("plugin"));
        }
        Map<String, Object> p = new LinkedHashMap<>(object(at + ".parameter", side.get("parameter")));
        String pat = at + ".parameter";
        boolean text = plugin.equals("txtfile");
        Set<String> known = text ? (reader ? TXT_READER : TXT_WRITER) : (reader ? DB_READER : DB_WRITER);
        for (String key : p.keySet()) {
            if (!known.contains(key)) {
                throw unknown(pat + "." + key, known);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (!(p.get("datasource") instanceof String ds) || ds.isBlank()) {
            throw SrgException.invalid(pat + ".datasource", "MissingParameter",
                    "datasource (the name of a data source of the workspace) is required");
        }
        out.put("datasource", ds);
        if (p.get("connection") != null) {
            connection(pat, p, reader);
        }
        if (text) {
            textSide(pat, p, reader, out);
        } else if (reader) {
            dbReader(pat, p, out);
        } else {
            dbWriter(pat, p, out);
        }
        return Map.of("plugin", plugin, "parameter", out);
    }

    /** DataX's {@code connection: [{table: [...], querySql: [...]}]}; a jdbcUrl is refused (name a data source). */
    private static void connection(String pat, Map<String, Object> p, boolean reader) {
        if (!(p.get("connection") instanceof List<?> list) || list.size() != 1) {
            throw SrgException.invalid(pat + ".connection", "InvalidParameter.Sync.Connection",
                    "connection must be a list of one element (srg copies one table per task)");
        }
        Map<String, Object> c = object(pat + ".connection[0]", list.get(0));
        for (String key : c.keySet()) {
            if (key.equals("jdbcUrl")) {
                throw SrgException.invalid(pat + ".connection[0].jdbcUrl", "InvalidParameter.Sync.JdbcUrl",
                        "name a data source (datasource) instead of a jdbcUrl: passwords never travel in a job");
            }
            if (!key.equals("table") && !(reader && key.equals("querySql"))) {
                throw unknown(pat + ".connection[0]." + key, reader ? Set.of("table", "querySql") : Set.of("table"));
            }
        }
        c.forEach((k, v) -> {
            if (p.containsKey(k)) {
                throw SrgException.invalid(pat + "." + k, "InvalidParameter.Sync.Duplicate", k + " is given twice (also in connection)");
            }
        });
        p.remove("connection");
        p.putAll(c);
    }

    private static void dbReader(String pat, Map<String, Object> p, Map<String, Object> out) {
        Object query = p.get("querySql");
        if (query != null) {
            String sql = single(pat + ".querySql", query);
            for (String other : List.of("table", "where", "splitPk")) {
                if (p.get(other) != null) {
                    throw SrgException.invalid(pat + "." + other, "InvalidParameter.Sync.QuerySql",
                            "querySql is the whole query: it takes no " + other + " (as in DataX)");
                }
            }
            out.put("querySql", sql);
            if (p.get("column") != null) {
                out.put("column", columns(pat + ".column", p.get("column")));
            }
        } else {
            out.put("table", table(pat + ".table", p.get("table")));
            out.put("column", columns(pat + ".column", p.get("column")));
            if (p.get("where") != null) {
                if (!(p.get("where") instanceof String w)) {
                    throw SrgException.invalid(pat + ".where", "InvalidParameter.Sync.Where", "where must be a string");
                }
                if (!w.isBlank()) {
                    out.put("where", w);
                }
            }
            if (p.get("splitPk") != null && !(p.get("splitPk") instanceof String s && s.isEmpty())) {
                out.put("splitPk", identifier(pat + ".splitPk", p.get("splitPk")));
            }
        }
        if (p.get("fetchSize") != null) {
            out.put("fetchSize", integer(pat + ".fetchSize", p.get("fetchSize"), 1, MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE));
        }
    }

    private static void dbWriter(String pat, Map<String, Object> p, Map<String, Object> out) {
        out.put("table", table(pat + ".table", p.get("table")));
        out.put("column", columns(pat + ".column", p.get("column")));
        Object mode = p.getOrDefault("writeMode", "insert");
        if (!(mode instanceof String m) || !WRITE_MODES.contains(m)) {
            throw SrgException.invalid(pat + ".writeMode", "InvalidParameter.Sync.WriteMode",
                    "writeMode must be insert, replace or update; got " + mode);
        }
        out.put("writeMode", m);
        out.put("preSql", statements(pat + ".preSql", p.get("preSql")));
        out.put("postSql", statements(pat + ".postSql", p.get("postSql")));
        out.put("batchSize", integer(pat + ".batchSize", p.get("batchSize"), 1, MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE));
    }

    private static void textSide(String pat, Map<String, Object> p, boolean reader, Map<String, Object> out) {
        String field = reader ? "path" : (p.get("fileName") != null ? "fileName" : "path");
        Object path = p.get(field);
        if (!(path instanceof String file) || file.isBlank()) {
            throw SrgException.invalid(pat + "." + field, "MissingParameter",
                    field + " (a file name inside the data source's directory) is required");
        }
        if (!file.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}")) {
            throw SrgException.invalid(pat + "." + field, "InvalidParameter.Sync.Path",
                    field + " is a plain file name inside the data source's directory (no '/' or '..'); got '" + file + "'");
        }
        out.put("path", file);
        out.put("column", reader ? textColumns(pat + ".column", p.get("column")) : columns(pat + ".column", p.get("column")));
        Object delimiter = p.getOrDefault("fieldDelimiter", ",");
        // the files are split into records byte by byte (see CsvFiles): the delimiter is one ASCII character
        if (!(delimiter instanceof String d) || d.length() != 1 || d.charAt(0) > 0x7e || d.equals("\"") || d.equals("\n")
                || d.equals("\r") || (d.charAt(0) < 0x20 && d.charAt(0) != '\t')) {
            throw SrgException.invalid(pat + ".fieldDelimiter", "InvalidParameter.Sync.FieldDelimiter",
                    "fieldDelimiter is one ASCII character (not a quote or a line break); got " + delimiter);
        }
        out.put("fieldDelimiter", d);
        Object encoding = p.getOrDefault("encoding", "UTF-8");
        if (!(encoding instanceof String e) || !Charset.isSupported(e)) {
            throw SrgException.invalid(pat + ".encoding", "InvalidParameter.Sync.Encoding", "encoding " + encoding + " is not known");
        }
        if (!CsvFiles.asciiCompatible(Charset.forName(e))) {
            throw SrgException.invalid(pat + ".encoding", "InvalidParameter.Sync.Encoding", "encoding " + encoding
                    + " does not write ASCII as ASCII (UTF-16, UTF-32...): CSV files are read in an ASCII-compatible encoding"
                    + " (UTF-8, GBK, ISO-8859-1, ...)");
        }
        out.put("encoding", Charset.forName(e).name());
        Object header = p.containsKey("header") ? p.get("header") : p.getOrDefault("skipHeader", false);
        if (!(header instanceof Boolean h)) {
            throw SrgException.invalid(pat + ".header", "InvalidParameter.Sync.Header",
                    "header is true (the first line names the columns) or false");
        }
        out.put("header", h);
        if (p.get("nullFormat") != null) {
            if (!(p.get("nullFormat") instanceof String nf)) {
                throw SrgException.invalid(pat + ".nullFormat", "InvalidParameter.Sync.NullFormat", "nullFormat must be a string");
            }
            out.put("nullFormat", nf);
        }
        if (!reader) {
            Object mode = p.getOrDefault("writeMode", "truncate");
            if (!(mode instanceof String m) || !Set.of("truncate", "nonConflict").contains(m)) {
                throw SrgException.invalid(pat + ".writeMode", "InvalidParameter.Sync.WriteMode",
                        "a txtfile writer's writeMode is truncate (replace the file) or nonConflict (fail if it exists)");
            }
            out.put("writeMode", m);
        }
    }

    /** DataX types of a txtfile reader's columns. */
    static final Set<String> TEXT_TYPES = Set.of("string", "long", "double", "decimal", "boolean", "date", "bytes");

    /**
     * A txtfile reader's columns as DataX writes them: {@code ["*"]} (every field, as many as the
     * writer takes), names (looked up in the header line when {@code header} is true, else field
     * i is column i), or {@code {index, type, format}} / {@code {name, type, format}} objects.
     * Brought to a list of {@code {index | name, type[, format]}} (or {@code ["*"]}).
     */
    private static List<Object> textColumns(String field, Object value) {
        if (value instanceof List<?> list && list.size() == 1 && "*".equals(list.get(0))) {
            return List.of("*");
        }
        if (!(value instanceof List<?> list) || list.isEmpty() || list.size() > 1024) {
            throw SrgException.invalid(field, value == null ? "MissingParameter" : "InvalidParameter.Sync.Column",
                    "column is [\"*\"] or a list of 1 to 1024 column names or {index, type, format} objects");
        }
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = field + "[" + i + "]";
            Map<String, Object> c = new LinkedHashMap<>();
            if (list.get(i) instanceof String name) {
                c.put("name", identifier(at, name));
                c.put("type", "string");
                out.add(c);
                continue;
            }
            Map<String, Object> spec = object(at, list.get(i));
            for (String key : spec.keySet()) {
                if (!Set.of("index", "name", "type", "format").contains(key)) {
                    throw unknown(at + "." + key, Set.of("index", "name", "type", "format"));
                }
            }
            if (spec.get("index") != null) {
                c.put("index", integer(at + ".index", spec.get("index"), 0, 65535, 0));
            } else if (spec.get("name") != null) {
                c.put("name", identifier(at + ".name", spec.get("name")));
            } else {
                throw SrgException.invalid(at + ".index", "MissingParameter", "a txtfile column names its index (from 0) or name");
            }
            Object type = spec.getOrDefault("type", "string");
            if (!(type instanceof String t) || !TEXT_TYPES.contains(t.toLowerCase(java.util.Locale.ROOT))) {
                throw SrgException.invalid(at + ".type", "InvalidParameter.Sync.ColumnType", "type must be one of "
                        + TEXT_TYPES.stream().sorted().toList() + "; got " + type);
            }
            c.put("type", t.toLowerCase(java.util.Locale.ROOT));
            if (spec.get("format") != null) {
                if (!(spec.get("format") instanceof String f) || !t.equalsIgnoreCase("date")) {
                    throw SrgException.invalid(at + ".format", "InvalidParameter.Sync.ColumnFormat",
                            "format is a date pattern (e.g. yyyy-MM-dd HH:mm:ss) of a column of type date");
                }
                try {
                    java.time.format.DateTimeFormatter.ofPattern(f);
                } catch (IllegalArgumentException e) {
                    throw SrgException.invalid(at + ".format", "InvalidParameter.Sync.ColumnFormat",
                            "format is not a date pattern: " + e.getMessage());
                }
                c.put("format", f);
            }
            out.add(c);
        }
        return out;
    }

    private static Map<String, Object> watermark(Object value, Map<String, Object> reader) {
        Map<String, Object> w = object("sync.watermark", value);
        for (String key : w.keySet()) {
            if (!key.equals("column")) {
                throw unknown("sync.watermark." + key, Set.of("column"));
            }
        }
        if (reader.get("plugin").equals("txtfile") || params(reader).containsKey("querySql")) {
            throw SrgException.invalid("sync.watermark", "InvalidParameter.Sync.Watermark",
                    "a watermark needs a database reader with a table (not querySql, not txtfile)");
        }
        return Map.of("column", identifier("sync.watermark.column", w.get("column")));
    }

    private static String table(String field, Object value) {
        String t = value instanceof List<?> list ? single(field, list) : value instanceof String s ? s : null;
        if (t == null || t.isBlank()) {
            throw SrgException.invalid(field, "MissingParameter", "table is required");
        }
        if (!TABLE.matcher(t).matches()) {
            throw SrgException.invalid(field, "InvalidParameter.Sync.Table", "table must be a name or schema.name; got '" + t + "'");
        }
        return t;
    }

    private static List<String> columns(String field, Object value) {
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw SrgException.invalid(field, value == null ? "MissingParameter" : "InvalidParameter.Sync.Column",
                    "column is a non-empty list of column names");
        }
        if (list.size() > 1024) {
            throw SrgException.invalid(field, "InvalidParameter.Sync.Column", "at most 1024 columns");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String c = identifier(field + "[" + i + "]", list.get(i));
            if (out.contains(c)) {
                throw SrgException.invalid(field + "[" + i + "]", "InvalidParameter.Sync.Column", "column " + c + " is listed twice");
            }
            out.add(c);
        }
        return out;
    }

    private static String identifier(String field, Object value) {
        if (!(value instanceof String s) || !COLUMN.matcher(s).matches()) {
            throw SrgException.invalid(field, "InvalidParameter.Sync.Column",
                    field + " must be a column name (letters, digits, '_', '$'); got " + value);
        }
        return s;
    }

    private static List<String> statements(String field, Object value) {
        if (value == null) {
            return List.of();
        }
        List<?> list = value instanceof String s ? List.of(s) : value instanceof List<?> l ? l : null;
        if (list == null || list.size() > 32) {
            throw SrgException.invalid(field, "InvalidParameter.Sync.Sql", field + " is a list of at most 32 SQL statements");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s) || s.isBlank() || s.length() > 64 * 1024) {
                throw SrgException.invalid(field, "InvalidParameter.Sync.Sql", field + " holds non-empty SQL strings");
            }
            out.add(s);
        }
        return out;
    }

    private static String single(String field, Object value) {
        if (value instanceof String s && !s.isBlank()) {
            return s;
        }
        if (value instanceof List<?> list && list.size() == 1 && list.get(0) instanceof String s && !s.isBlank()) {
            return s;
        }
        throw SrgException.invalid(field, "InvalidParameter.Sync.Multiple",
                field + " must be one string (srg copies one table or query per task)");
    }

    private static int integer(String field, Object value, int min, int max, int absent) {
        if (value == null) {
            return absent;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < min
                || n.longValue() > max) {
            throw SrgException.invalid(field, "InvalidParameter.Sync.Limit", field + " must be a whole number from " + min
                    + " to " + max + "; got " + value);
        }
        return n.intValue();
    }

    private static Long optionalLimit(String field, Object value) {
        if (value == null || (value instanceof Number n && n.longValue() == -1 && n.doubleValue() == -1)) {
            return null;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < 1) {
            throw SrgException.invalid(field, "InvalidParameter.Sync.Limit", field + " must be a positive whole number per second"
                    + " (or -1 for none); got " + value);
        }
        return n.longValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String field, Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            throw SrgException.invalid(field, value == null ? "MissingParameter" : "InvalidParameter.Sync",
                    field + (value == null ? " is required" : " must be an object"));
        }
        return (Map<String, Object>) map;
    }

    private static SrgException unknown(String field, Set<String> known) {
        return SrgException.invalid(field, "InvalidParameter.UnknownField", "unknown field " + field + "; known: "
                + known.stream().sorted().toList());
    }
}
