package dev.srg.sync;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.PGConnection;

/** A batch of converted rows into PostgreSQL through {@code COPY ... FROM STDIN} in its text format. */
final class PgCopy {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private PgCopy() {}

    static void copy(Connection c, String sql, List<Object[]> rows) throws SQLException {
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
        try {
            c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, new StringReader(text.toString()));
        } catch (IOException e) {
            throw new SQLException("COPY failed: " + e.getMessage(), "58030", e);
        }
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
