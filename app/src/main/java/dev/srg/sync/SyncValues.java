package dev.srg.sync;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Values between a reader and a writer (SPEC DI-4): read as what the source column is (integers
 * as long, numeric as BigDecimal, timestamps with and without time zone apart, bytes as bytes),
 * converted to what the target column is, or refused with a reason (a dirty record) — never
 * rounded, truncated or shifted silently.
 */
final class SyncValues {
    private SyncValues() {}

    /** The kinds a column's values fall into. */
    enum Kind { INTEGER, DECIMAL, FLOAT, TEXT, BOOLEAN, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, BINARY, OTHER }

    /** A target column: its kind, its SQL type, and its limits. */
    record Column(String name, Kind kind, int sqlType, int precision, int scale, long min, long max) {}

    /** A value that cannot be converted; its message is the reason kept with the dirty record. */
    static final class DirtyValue extends Exception {
        DirtyValue(String reason) {
            super(reason, null, false, false);
        }
    }

    static Kind kind(ResultSetMetaData md, int i) throws SQLException {
        int type = md.getColumnType(i);
        String name = md.getColumnTypeName(i).toLowerCase(Locale.ROOT);
        return switch (type) {
            case Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT -> name.equals("tinyint") && md.getPrecision(i) == 1
                    ? Kind.BOOLEAN : Kind.INTEGER;
            case Types.NUMERIC, Types.DECIMAL -> Kind.DECIMAL;
            case Types.REAL, Types.FLOAT, Types.DOUBLE -> Kind.FLOAT;
            case Types.BIT, Types.BOOLEAN -> name.equals("bit") && md.getPrecision(i) > 1 ? Kind.BINARY : Kind.BOOLEAN;
            case Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR, Types.NCHAR, Types.NVARCHAR, Types.LONGNVARCHAR, Types.CLOB,
                 Types.NCLOB -> Kind.TEXT;
            case Types.DATE -> name.equals("year") ? Kind.INTEGER : Kind.DATE;
            case Types.TIME, Types.TIME_WITH_TIMEZONE -> Kind.TIME;
            case Types.TIMESTAMP -> name.equals("timestamptz") ? Kind.TIMESTAMPTZ : Kind.TIMESTAMP;
            case Types.TIMESTAMP_WITH_TIMEZONE -> Kind.TIMESTAMPTZ;
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> Kind.BINARY;
            default -> Kind.OTHER;
        };
    }

    static Column column(ResultSetMetaData md, int i) throws SQLException {
        Kind kind = kind(md, i);
        String name = md.getColumnTypeName(i).toLowerCase(Locale.ROOT);
        long min = Long.MIN_VALUE;
        long max = Long.MAX_VALUE;
        if (kind == Kind.INTEGER) {
            boolean unsigned = name.contains("unsigned");
            switch (md.getColumnType(i)) {
                case Types.TINYINT -> { min = unsigned ? 0 : -128; max = unsigned ? 255 : 127; }
                case Types.SMALLINT -> { min = unsigned ? 0 : Short.MIN_VALUE; max = unsigned ? 65535 : Short.MAX_VALUE; }
                case Types.INTEGER -> { min = unsigned ? 0 : Integer.MIN_VALUE; max = unsigned ? 4294967295L : Integer.MAX_VALUE; }
                default -> min = unsigned ? 0 : Long.MIN_VALUE;
            }
        }
        return new Column(md.getColumnName(i), kind, md.getColumnType(i), md.getPrecision(i), md.getScale(i), min, max);
    }

    /** Reads column {@code i} as its kind; null for SQL NULL. */
    static Object read(ResultSet rs, int i, Kind kind) throws SQLException {
        Object value = switch (kind) {
            case INTEGER -> {
                long v = rs.getLong(i);
                yield rs.wasNull() ? null : v;
            }
            case DECIMAL -> rs.getBigDecimal(i);
            case FLOAT -> {
                double v = rs.getDouble(i);
                yield rs.wasNull() ? null : v;
            }
            case BOOLEAN -> {
                boolean v = rs.getBoolean(i);
                yield rs.wasNull() ? null : v;
            }
            case DATE -> rs.getObject(i, LocalDate.class);
            case TIME -> rs.getObject(i, LocalTime.class);
            case TIMESTAMP -> rs.getObject(i, LocalDateTime.class);
            case TIMESTAMPTZ -> rs.getObject(i, OffsetDateTime.class);
            case BINARY -> rs.getBytes(i);
            case TEXT, OTHER -> rs.getString(i);
        };
        return value;
    }

    /** A watermark's text form (what is saved), by its kind. */
    static String text(Object v) {
        return v instanceof BigDecimal d ? d.toPlainString() : v.toString();
    }

    /** A watermark's value back from its text, as a parameter of its column's kind. */
    static Object parse(Kind kind, String text) {
        return switch (kind) {
            case INTEGER -> Long.parseLong(text);
            case DECIMAL -> new BigDecimal(text);
            case FLOAT -> Double.parseDouble(text);
            case DATE -> LocalDate.parse(text);
            case TIME -> LocalTime.parse(text);
            case TIMESTAMP -> LocalDateTime.parse(text);
            case TIMESTAMPTZ -> OffsetDateTime.parse(text);
            default -> text;
        };
    }

    /** About how many bytes a value takes (for the byte counts and the byte rate limit). */
    static long size(Object v) {
        if (v == null) {
            return 0;
        }
        if (v instanceof String s) {
            return s.length();
        }
        if (v instanceof byte[] b) {
            return b.length;
        }
        if (v instanceof BigDecimal d) {
            return d.precision() / 2 + 2;
        }
        return 8;
    }

    /** {@code v} as the target column's kind, or why it cannot be. */
    static Object convert(Object v, Column target) throws DirtyValue {
        if (v == null) {
            return null;
        }
        try {
            return switch (target.kind()) {
                case INTEGER -> integer(v, target);
                case DECIMAL -> decimal(v, target);
                case FLOAT -> floating(v instanceof Number n && !(v instanceof BigDecimal) ? n.doubleValue()
                        : v instanceof BigDecimal d ? exactDouble(d, target.name(), v)
                        : v instanceof String s ? finiteDouble(s.strip(), target.name()) : (Double) refuse(v, target), v, target);
                case TEXT, OTHER -> text(v, target);
                case BOOLEAN -> bool(v, target);
                case DATE -> v instanceof LocalDate d ? d
                        : v instanceof LocalDateTime t && t.toLocalTime().equals(LocalTime.MIDNIGHT) ? t.toLocalDate()
                        : v instanceof String s ? LocalDate.parse(s.strip()) : refuse(v, target);
                case TIME -> v instanceof LocalTime t ? t : v instanceof String s ? LocalTime.parse(s.strip()) : refuse(v, target);
                // without a zone: the wall-clock time as it is; a zoned one as UTC (said in docs/data-integration.md)
                case TIMESTAMP -> v instanceof LocalDateTime t ? t : v instanceof LocalDate d ? d.atStartOfDay()
                        : v instanceof OffsetDateTime o ? o.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime()
                        : v instanceof String s ? LocalDateTime.parse(s.strip().replace(' ', 'T')) : refuse(v, target);
                case TIMESTAMPTZ -> v instanceof OffsetDateTime o ? o : v instanceof LocalDateTime t ? t.atOffset(ZoneOffset.UTC)
                        : v instanceof LocalDate d ? d.atStartOfDay().atOffset(ZoneOffset.UTC)
                        : v instanceof String s ? OffsetDateTime.parse(s.strip().replace(' ', 'T')) : refuse(v, target);
                case BINARY -> v instanceof byte[] b ? b : v instanceof String s ? binary(s) : refuse(v, target);
            };
        } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
            throw new DirtyValue("column " + target.name() + ": '" + abbreviated(v) + "' is not a valid " + target.kind()
                    .name().toLowerCase(Locale.ROOT) + " (" + e.getMessage() + ")");
        }
    }

    /** Text to bytes as PostgreSQL reads bytea: {@code \\x} and hex digits are those bytes; other text its UTF-8 bytes. */
    private static byte[] binary(String s) {
        if (s.startsWith("\\x") && (s.length() % 2 == 0) && s.chars().skip(2).allMatch(c -> Character.digit(c, 16) >= 0)) {
            return java.util.HexFormat.of().parseHex(s, 2, s.length());
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Object integer(Object v, Column target) throws DirtyValue {
        long value;
        if (v instanceof Long l) {
            value = l;
        } else if (v instanceof BigDecimal d) {
            value = d.stripTrailingZeros().longValueExact(); // a fraction is an ArithmeticException: dirty
        } else if (v instanceof Double d) {
            if (d != Math.rint(d) || Double.isInfinite(d)) {
                throw new DirtyValue("column " + target.name() + ": " + d + " has a fraction; an integer column would round it");
            }
            value = new BigDecimal(d).longValueExact();
        } else if (v instanceof Boolean b) {
            value = b ? 1 : 0;
        } else if (v instanceof String s) {
            value = new BigInteger(s.strip()).longValueExact();
        } else {
            return refuse(v, target);
        }
        if (value < target.min() || value > target.max()) {
            throw new DirtyValue("column " + target.name() + ": " + value + " is out of range [" + target.min() + ", "
                    + target.max() + "]");
        }
        return value;
    }

    /** PostgreSQL's numeric holds up to 131072 digits before the point and 16383 after. */
    static final long MAX_DIGITS_BEFORE_POINT = 131_072;
    static final long MAX_DIGITS_AFTER_POINT = 16_383;

    /**
     * A decimal some column can hold, or a dirty value: one beyond numeric's digits (1e2147483647,
     * a dozen characters of text) fits no column, and its plain text alone would take gigabytes.
     * The reason quotes {@code text}, never the value's plain form.
     */
    static BigDecimal storableDecimal(BigDecimal d, String column, Object text) throws DirtyValue {
        long before = (long) d.precision() - d.scale();
        if (before > MAX_DIGITS_BEFORE_POINT || (d.scale() > MAX_DIGITS_AFTER_POINT && d.signum() != 0
                && d.stripTrailingZeros().scale() > MAX_DIGITS_AFTER_POINT)) {
            throw new DirtyValue("column " + column + ": '" + abbreviated(text) + "' is out of a decimal's range (at most "
                    + MAX_DIGITS_BEFORE_POINT + " digits before the point and " + MAX_DIGITS_AFTER_POINT + " after)");
        }
        return d;
    }

    /**
     * A double's text as a double, or a dirty value when a number's text becomes infinite (1e999) or
     * 0 though it is not (1e-999). {@code Infinity} and {@code NaN} spelled out stay what they say.
     */
    static double finiteDouble(String text, String column) throws DirtyValue {
        double d = Double.parseDouble(text);
        boolean spelledOut = text.chars().noneMatch(Character::isDigit);
        if ((Double.isInfinite(d) && !spelledOut) || (d == 0 && nonZeroMantissa(text))) {
            throw outOfRange(column, text, d);
        }
        return d;
    }

    /** Whether a number's text (as Double.parseDouble reads it, hexadecimal too) has a digit other than 0 before its exponent. */
    private static boolean nonZeroMantissa(String text) {
        String t = text.strip();
        int from = t.startsWith("+") || t.startsWith("-") ? 1 : 0;
        boolean hex = t.regionMatches(true, from, "0x", 0, 2);
        for (int i = hex ? from + 2 : from; i < t.length(); i++) {
            char c = t.charAt(i);
            if (hex ? (c == 'p' || c == 'P') : (c == 'e' || c == 'E')) {
                return false;
            }
            if (Character.digit(c, hex ? 16 : 10) > 0) {
                return true;
            }
        }
        return false;
    }

    /** A decimal as a double, or a dirty value when the double would be infinite, or 0 though it is not. */
    private static double exactDouble(BigDecimal d, String column, Object v) throws DirtyValue {
        double x = d.doubleValue();
        if (Double.isInfinite(x) || (x == 0 && d.signum() != 0)) {
            throw outOfRange(column, v, x);
        }
        return x;
    }

    /** A double as its column keeps it: a real (float4) turns what is beyond its range into infinity or 0. */
    private static double floating(double d, Object v, Column target) throws DirtyValue {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return d; // as read: a source's own NaN or infinity (PostgreSQL's double precision and real hold them)
        }
        if (target.sqlType() == Types.REAL) {
            float f = (float) d;
            if (Float.isInfinite(f) || (f == 0 && d != 0)) {
                throw outOfRange(target.name(), v, f);
            }
        }
        return d;
    }

    private static DirtyValue outOfRange(String column, Object v, double asStored) {
        return new DirtyValue("column " + column + ": '" + abbreviated(v) + "' is out of range: it would be kept as "
                + (asStored == 0 ? "0" : "infinity"));
    }

    private static Object decimal(Object v, Column target) throws DirtyValue {
        BigDecimal d = v instanceof BigDecimal b ? b : v instanceof Long l ? BigDecimal.valueOf(l)
                : v instanceof Double x ? BigDecimal.valueOf(x) : v instanceof String s ? new BigDecimal(s.strip()) : null;
        if (d == null) {
            return refuse(v, target);
        }
        storableDecimal(d, target.name(), v);
        // numeric without a declared precision (PostgreSQL reports 0 or 1000) takes any value
        boolean declared = target.precision() > 0 && target.precision() < 1000;
        if (declared && d.scale() > target.scale() && d.stripTrailingZeros().scale() > target.scale()) {
            throw new DirtyValue("column " + target.name() + ": " + d.toPlainString() + " has more than " + target.scale()
                    + " decimal places; it would be rounded");
        }
        if (declared && (long) d.precision() - d.scale() > target.precision() - target.scale()) {
            throw new DirtyValue("column " + target.name() + ": " + d.toPlainString() + " does not fit numeric("
                    + target.precision() + ", " + target.scale() + ")");
        }
        return d;
    }

    private static Object text(Object v, Column target) throws DirtyValue {
        String s = v instanceof String x ? x : v instanceof BigDecimal d ? d.toPlainString() : v instanceof byte[] ? null
                : v.toString();
        if (s == null) {
            return refuse(v, target);
        }
        if (s.indexOf('\0') >= 0) {
            throw new DirtyValue("column " + target.name() + ": the text contains a NUL character");
        }
        if (target.kind() == Kind.TEXT && target.precision() > 0 && target.precision() < Integer.MAX_VALUE
                && s.codePointCount(0, s.length()) > target.precision()) {
            throw new DirtyValue("column " + target.name() + ": " + s.codePointCount(0, s.length()) + " characters do not fit in "
                    + target.precision() + "; it would be truncated");
        }
        return s;
    }

    private static Object bool(Object v, Column target) throws DirtyValue {
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Long l && (l == 0 || l == 1)) {
            return l == 1;
        }
        if (v instanceof String s) {
            switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "true", "t", "1", "yes", "y" -> {
                    return true;
                }
                case "false", "f", "0", "no", "n" -> {
                    return false;
                }
                default -> { }
            }
        }
        return refuse(v, target);
    }

    private static Object refuse(Object v, Column target) throws DirtyValue {
        throw new DirtyValue("column " + target.name() + ": cannot convert " + typeName(v) + " '" + abbreviated(v) + "' to "
                + target.kind().name().toLowerCase(Locale.ROOT));
    }

    /** Binds a converted value (null as the column's SQL NULL). */
    static void bind(PreparedStatement ps, int i, Object v, Column target) throws SQLException {
        if (v == null) {
            ps.setNull(i, target.sqlType());
        } else if (target.kind() == Kind.OTHER) {
            ps.setObject(i, v, Types.OTHER); // json, uuid, enums...: the server parses the text
        } else {
            ps.setObject(i, v);
        }
    }

    static String typeName(Object v) {
        return v instanceof byte[] ? "bytes" : v.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }

    /** A value for a dirty record's JSON: text, numbers and booleans as they are, bytes in hex. */
    static Object display(Object v) {
        if (v == null || v instanceof Number || v instanceof Boolean) {
            return v;
        }
        if (v instanceof byte[] b) {
            StringBuilder hex = new StringBuilder("\\x");
            for (int k = 0; k < Math.min(b.length, 512); k++) {
                hex.append(String.format("%02x", b[k]));
            }
            return hex.toString();
        }
        return abbreviated(v);
    }

    private static String abbreviated(Object v) {
        String s = v instanceof byte[] ? display(v).toString() : v.toString();
        return s.length() > 1000 ? s.substring(0, 1000) + "..." : s;
    }
}
