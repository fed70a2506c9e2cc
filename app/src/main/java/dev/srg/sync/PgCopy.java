package dev.srg.sync;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * A batch of converted rows into PostgreSQL through {@code COPY ... FROM STDIN}: in the binary
 * format when every target column is of a type written here (integers, numeric, floats, text,
 * boolean, date, time, timestamps, bytea), else in the text format. The binary format spares both
 * sides printing and parsing timestamps and numerics, the largest share of a PostgreSQL → PostgreSQL
 * copy's CPU (docs/benchmarks.md). A value the binary form cannot carry (out of PostgreSQL's
 * range) is found before its batch is sent ({@link CannotCarry}): the caller writes that batch row
 * by row, where the server judges each value.
 */
final class PgCopy {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    /** 2000-01-01, PostgreSQL's epoch for dates and timestamps. */
    private static final long PG_EPOCH_DAY = LocalDate.of(2000, 1, 1).toEpochDay();
    private static final long PG_EPOCH_SECOND = PG_EPOCH_DAY * 86_400;
    /** PostgreSQL's dates and timestamps: 4713 BC to 294276 AD (dates further; timestamps bound both here). */
    private static final LocalDate MIN_DATE = LocalDate.of(-4712, 1, 1);
    private static final LocalDate MAX_DATE = LocalDate.of(294275, 12, 31);
    private static final BigInteger TEN_THOUSAND = BigInteger.valueOf(10_000);

    /** How a column's values are written in the binary format. */
    private enum Type { INT2, INT4, INT8, FLOAT4, FLOAT8, NUMERIC, TEXT, BOOL, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, BYTEA }

    private final String sql;
    /** The columns' binary types, or null: the text format. */
    private final Type[] types;
    private byte[] buf = new byte[1 << 16];
    private int len;
    /** The COPY going on, or null. */
    private CopyIn in;

    /** For {@code sql} (a COPY ... FROM STDIN without options) into columns of these PostgreSQL type names. */
    PgCopy(String sql, List<String> typeNames) {
        Type[] t = new Type[typeNames.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = type(typeNames.get(i));
            if (t[i] == null) {
                t = null;
                break;
            }
        }
        this.types = t;
        this.sql = types == null ? sql : sql + " (FORMAT binary)";
    }

    private static Type type(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "int2" -> Type.INT2;
            case "int4", "serial" -> Type.INT4;
            case "int8", "bigserial" -> Type.INT8;
            case "float4" -> Type.FLOAT4;
            case "float8" -> Type.FLOAT8;
            case "numeric" -> Type.NUMERIC;
            case "text", "varchar", "bpchar" -> Type.TEXT;
            case "bool" -> Type.BOOL;
            case "date" -> Type.DATE;
            case "time" -> Type.TIME;
            case "timestamp" -> Type.TIMESTAMP;
            case "timestamptz" -> Type.TIMESTAMPTZ;
            case "bytea" -> Type.BYTEA;
            default -> null; // json, uuid, enums, arrays...: their binary forms differ; the text format takes them
        };
    }

    boolean binary() {
        return types != null;
    }

    /** A batch in a COPY of its own: {@link #begin}, {@link #write}, {@link #end}. */
    void copy(Connection c, List<Object[]> rows) throws SQLException {
        begin(c);
        try {
            write(rows);
            end();
        } finally {
            cancel();
        }
    }

    /**
     * Starts a COPY on {@code c}; batches go in with {@link #write} until {@link #end}. One COPY for
     * many batches costs PostgreSQL a third less CPU than a COPY per batch (docs/benchmarks.md).
     */
    void begin(Connection c) throws SQLException {
        in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        if (types != null) {
            len = 0;
            put(SIGNATURE, 0, SIGNATURE.length);
            putInt(0); // flags
            putInt(0); // header extension
            send();
        }
    }

    boolean active() {
        return in != null && in.isActive();
    }

    /**
     * Sends a batch into the COPY begun. A batch with a value the format cannot carry is a
     * {@link CannotCarry}, thrown before any of its rows is sent: the COPY goes on. Any other
     * failure is the server's (a row it refused): the COPY and its transaction are lost.
     */
    void write(List<Object[]> rows) throws SQLException {
        encode(rows);
        send();
    }

    /** The rows into the buffer, in the COPY's format. */
    void encode(List<Object[]> rows) throws CannotCarry {
        len = 0;
        if (types == null) {
            text(rows);
        } else {
            try {
                for (Object[] row : rows) {
                    putShort(row.length);
                    for (int i = 0; i < row.length; i++) {
                        value(row[i], types[i]);
                    }
                }
            } catch (ClassCastException | java.time.DateTimeException | ArithmeticException e) {
                // not what the column's conversion gives: the batch goes row by row, where the server judges the value
                throw new CannotCarry("a value the binary COPY cannot carry: " + e.getMessage(), "22000", e);
            }
        }
    }

    /** Completes the COPY: its rows are in the transaction. */
    void end() throws SQLException {
        if (types != null) {
            len = 0;
            putShort(-1);
            send();
        }
        in.endCopy();
        in = null;
    }

    /** Abandons a COPY still going (its rows are not written); nothing when none is. */
    void cancel() throws SQLException {
        if (active()) {
            in.cancelCopy();
        }
        in = null;
    }

    private void send() throws SQLException {
        in.writeToCopy(buf, 0, len);
    }

    /** A batch with a value the COPY format cannot carry, found before it was sent. */
    static final class CannotCarry extends SQLException {
        private static final long serialVersionUID = 1L;

        CannotCarry(String message, String sqlState, Throwable cause) {
            super(message, sqlState, cause);
        }
    }

    private void value(Object v, Type t) throws CannotCarry {
        if (v == null) {
            putInt(-1);
            return;
        }
        switch (t) {
            case INT2 -> {
                putInt(2);
                putShort((int) (long) (Long) v);
            }
            case INT4 -> {
                putInt(4);
                putInt((int) (long) (Long) v);
            }
            case INT8 -> {
                putInt(8);
                putLong((Long) v);
            }
            case FLOAT4 -> {
                putInt(4);
                // as the text format did: the float nearest to the double's shortest decimal form
                putInt(Float.floatToIntBits(Float.parseFloat(Double.toString((Double) v))));
            }
            case FLOAT8 -> {
                putInt(8);
                putLong(Double.doubleToLongBits((Double) v));
            }
            case NUMERIC -> numeric((BigDecimal) v);
            case TEXT -> {
                byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
                putInt(b.length);
                put(b, 0, b.length);
            }
            case BOOL -> {
                putInt(1);
                ensure(1);
                buf[len++] = (byte) ((Boolean) v ? 1 : 0);
            }
            case DATE -> {
                LocalDate d = (LocalDate) v;
                inRange(d);
                putInt(4);
                putInt((int) (d.toEpochDay() - PG_EPOCH_DAY));
            }
            case TIME -> {
                putInt(8);
                putLong(micros(0, ((LocalTime) v).toNanoOfDay()));
            }
            case TIMESTAMP -> {
                LocalDateTime d = (LocalDateTime) v;
                inRange(d.toLocalDate());
                putInt(8);
                putLong(micros(d.toEpochSecond(ZoneOffset.UTC) - PG_EPOCH_SECOND, d.getNano()));
            }
            case TIMESTAMPTZ -> {
                OffsetDateTime d = (OffsetDateTime) v;
                inRange(d.withOffsetSameInstant(ZoneOffset.UTC).toLocalDate());
                putInt(8);
                putLong(micros(d.toEpochSecond() - PG_EPOCH_SECOND, d.getNano()));
            }
            case BYTEA -> {
                byte[] b = (byte[]) v;
                putInt(b.length);
                put(b, 0, b.length);
            }
        }
    }

    private static void inRange(LocalDate d) throws CannotCarry {
        if (d.isBefore(MIN_DATE) || d.isAfter(MAX_DATE)) {
            throw new CannotCarry("date " + d + " is out of PostgreSQL's range", "22008", null);
        }
    }

    /** Seconds and nanoseconds as microseconds, rounded half to even as PostgreSQL reads a longer fraction. */
    private static long micros(long seconds, long nanos) {
        long micros = nanos / 1000;
        long rest = nanos % 1000;
        if (rest > 500 || (rest == 500 && (micros & 1) == 1)) {
            micros++;
        }
        return seconds * 1_000_000 + micros;
    }

    /** numeric's binary form: digit count, weight, sign, display scale, then base-10000 digits. */
    private void numeric(BigDecimal d) {
        int scale = Math.max(0, d.scale());
        BigInteger unscaled = d.scale() < 0 ? d.setScale(0).unscaledValue() : d.unscaledValue();
        int sign = unscaled.signum() < 0 ? 0x4000 : 0;
        unscaled = unscaled.abs();
        // align the fraction to whole base-10000 digits
        int pad = (4 - scale % 4) % 4;
        if (pad > 0) {
            unscaled = unscaled.multiply(BigInteger.TEN.pow(pad));
        }
        int fractionDigits = (scale + pad) / 4;
        short[] digits = new short[8];
        int n = 0;
        if (unscaled.bitLength() < 63) {
            long u = unscaled.longValueExact();
            while (u != 0) {
                if (n == digits.length) {
                    digits = Arrays.copyOf(digits, n * 2);
                }
                digits[n++] = (short) (u % 10_000);
                u /= 10_000;
            }
        } else {
            while (unscaled.signum() != 0) {
                BigInteger[] qr = unscaled.divideAndRemainder(TEN_THOUSAND);
                if (n == digits.length) {
                    digits = Arrays.copyOf(digits, n * 2);
                }
                digits[n++] = qr[1].shortValue();
                unscaled = qr[0];
            }
        }
        // digits[0] is the least significant; trailing zero digits (of the fraction) are left out
        int low = 0;
        while (low < n && digits[low] == 0) {
            low++;
        }
        int count = n - low;
        int weight = count == 0 ? 0 : n - fractionDigits - 1;
        putInt(8 + 2 * count);
        putShort(count);
        putShort(weight);
        putShort(count == 0 ? 0 : sign);
        putShort(scale);
        for (int k = n - 1; k >= low; k--) {
            putShort(digits[k]);
        }
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    private void put(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    private void putShort(int v) {
        ensure(2);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
    }

    private void putInt(int v) {
        ensure(4);
        buf[len++] = (byte) (v >>> 24);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
    }

    private void putLong(long v) {
        putInt((int) (v >>> 32));
        putInt((int) v);
    }

    private void text(List<Object[]> rows) {
        StringBuilder text = new StringBuilder(rows.size() * 64);
        for (Object[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    text.append('\t');
                }
                append(text, row[i]);
            }
            text.append('\n');
        }
        byte[] b = text.toString().getBytes(StandardCharsets.UTF_8);
        put(b, 0, b.length);
    }

    /** One value in COPY's text format: \N for NULL, backslash escapes, bytea as \\x hex. */
    private static void append(StringBuilder out, Object v) {
        if (v == null) {
            out.append("\\N");
        } else if (v instanceof String s) {
            for (int k = 0; k < s.length(); k++) {
                char ch = s.charAt(k);
                switch (ch) {
                    case '\\' -> out.append("\\\\");
                    case '\t' -> out.append("\\t");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    default -> out.append(ch);
                }
            }
        } else if (v instanceof byte[] b) {
            out.append("\\\\x");
            for (byte x : b) {
                out.append(HEX[(x >> 4) & 0xf]).append(HEX[x & 0xf]);
            }
        } else if (v instanceof Boolean b) {
            out.append(b ? 't' : 'f');
        } else if (v instanceof BigDecimal d) {
            out.append(d.toPlainString());
        } else {
            out.append(v); // numbers, ISO 8601 dates, times and timestamps (with their offset)
        }
    }
}
