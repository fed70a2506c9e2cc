package dev.srg.sync;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * CSV files for the {@code txtfile} reader and writer (SPEC DI-2, DI-4): RFC 4180 quoting
 * (fields with the delimiter, a quote or a line break are quoted, quotes doubled), any
 * ASCII-compatible encoding, {@code nullFormat} for NULL (DataX's default {@code \N}; only an
 * unquoted field is NULL, so a text equal to nullFormat is written quoted and read back as text).
 * Records are split byte by byte (the delimiter, quote and line breaks are ASCII) and decoded one
 * field at a time, so a record that is not valid in the file's encoding is one dirty record, not
 * the end of the file.
 */
final class CsvFiles {
    static final String DEFAULT_NULL = "\\N";
    private static final DateTimeFormatter TIMESTAMP = new DateTimeFormatterBuilder().append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME).toFormatter(Locale.ROOT);
    private static final DateTimeFormatter TIMESTAMP_TZ = new DateTimeFormatterBuilder().append(TIMESTAMP)
            .appendOffset("+HH:MM", "+00:00").toFormatter(Locale.ROOT);

    private CsvFiles() {}

    /** Whether the charset writes the delimiter, quote and line break bytes as ASCII (UTF-8, GBK, Latin-1: yes; UTF-16: no). */
    static boolean asciiCompatible(Charset cs) {
        if (!cs.canEncode()) {
            return false;
        }
        String probe = ",;|\t\"\r\nAz09";
        return Arrays.equals(probe.getBytes(cs), probe.getBytes(StandardCharsets.US_ASCII));
    }

    /** A record that cannot be read: its line, why, and its raw text for the dirty record. */
    static final class BadRecord extends Exception {
        final String raw;

        BadRecord(String reason, String raw) {
            super(reason, null, false, false);
            this.raw = raw;
        }
    }

    /** Reads records; each is its fields as text, null for a NULL field. */
    static final class Reader implements Closeable {
        private static final int EOF = -1;
        private final InputStream in;
        private final byte delimiter;
        private final CharsetDecoder decoder;
        private final String nullFormat;
        private final byte[] buffer = new byte[1 << 16];
        private int pos;
        private int limit;
        private long line = 1;
        private long recordLine;
        private byte[] field = new byte[256];
        private int fieldLength;

        Reader(Path file, char delimiter, Charset cs, String nullFormat) throws IOException {
            this.in = Files.newInputStream(file);
            this.delimiter = (byte) delimiter;
            this.decoder = cs.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            this.nullFormat = nullFormat;
            if (cs.equals(StandardCharsets.UTF_8) && peek() == 0xEF) {
                // a UTF-8 byte order mark is not part of the first field
                fill();
                if (limit - pos >= 3 && (buffer[pos + 1] & 0xff) == 0xBB && (buffer[pos + 2] & 0xff) == 0xBF) {
                    pos += 3;
                }
            }
        }

        /** The line the last record returned (or refused) started on. */
        long line() {
            return recordLine;
        }

        /** The next record's fields, or null at the end of the file; a BadRecord for one that cannot be decoded. */
        List<String> next() throws IOException, BadRecord {
            while (true) {
                if (peek() == EOF) {
                    return null;
                }
                recordLine = line;
                List<byte[]> fields = new ArrayList<>();
                List<Boolean> quoted = new ArrayList<>();
                boolean more = true;
                boolean unterminated = false;
                while (more) {
                    fieldLength = 0;
                    int c = read();
                    boolean q = c == '"';
                    int quotedLength = 0;
                    if (q) {
                        // quoted: up to the quote not doubled; line breaks inside belong to the field
                        while (true) {
                            c = read();
                            if (c == EOF) {
                                unterminated = true;
                                break;
                            }
                            if (c == '"') {
                                if (peek() == '"') {
                                    read();
                                } else {
                                    c = read();
                                    break;
                                }
                            } else if (c == '\n') {
                                line++;
                            }
                            append(c);
                        }
                        quotedLength = fieldLength;
                    }
                    // unquoted (or what follows a closing quote, taken as it is): up to the delimiter or the line's end
                    while (c != EOF && c != delimiter && c != '\n') {
                        append(c);
                        c = read();
                    }
                    if (c == '\n' || c == EOF) {
                        if (c == '\n') {
                            line++;
                        }
                        if (fieldLength > quotedLength && field[fieldLength - 1] == '\r') {
                            fieldLength--;
                        }
                        more = false;
                    }
                    fields.add(Arrays.copyOf(field, fieldLength));
                    quoted.add(q);
                }
                if (fields.size() == 1 && fields.get(0).length == 0 && !quoted.get(0)) {
                    continue; // an empty line is no record
                }
                if (unterminated) {
                    throw new BadRecord("line " + recordLine + ": a quoted field is not closed before the end of the file",
                            raw(fields));
                }
                List<String> out = new ArrayList<>(fields.size());
                for (int i = 0; i < fields.size(); i++) {
                    String text;
                    try {
                        text = decoder.decode(ByteBuffer.wrap(fields.get(i))).toString();
                    } catch (CharacterCodingException e) {
                        throw new BadRecord("line " + recordLine + ", field " + (i + 1) + ": not valid " + decoder.charset().name()
                                + " text", raw(fields));
                    }
                    out.add(!quoted.get(i) && text.equals(nullFormat) ? null : text);
                }
                return out;
            }
        }

        /** The raw record for a dirty record: the bytes as Latin-1 would show them (nothing lost, nothing guessed). */
        private String raw(List<byte[]> fields) {
            StringBuilder b = new StringBuilder();
            for (byte[] f : fields) {
                if (!b.isEmpty()) {
                    b.append((char) delimiter);
                }
                b.append(new String(f, StandardCharsets.ISO_8859_1));
            }
            return b.toString();
        }

        private void append(int c) {
            if (fieldLength == field.length) {
                field = Arrays.copyOf(field, field.length * 2);
            }
            field[fieldLength++] = (byte) c;
        }

        private int peek() throws IOException {
            if (pos == limit && !fill()) {
                return EOF;
            }
            return buffer[pos] & 0xff;
        }

        private int read() throws IOException {
            if (pos == limit && !fill()) {
                return EOF;
            }
            return buffer[pos++] & 0xff;
        }

        private boolean fill() throws IOException {
            if (pos < limit) {
                System.arraycopy(buffer, pos, buffer, 0, limit - pos);
                limit -= pos;
                pos = 0;
            } else {
                pos = 0;
                limit = 0;
            }
            int n = in.read(buffer, limit, buffer.length - limit);
            if (n > 0) {
                limit += n;
            }
            return limit > pos;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** A txtfile reader column's value from its text as its DataX type; why not, as a dirty value. */
    static Object typed(String text, String type, DateTimeFormatter format, String column) throws SyncValues.DirtyValue {
        if (text == null) {
            return null;
        }
        try {
            return switch (type) {
                case "long" -> new BigInteger(text.strip()).longValueExact();
                case "double" -> SyncValues.finiteDouble(text.strip(), column);
                case "decimal" -> SyncValues.storableDecimal(new BigDecimal(text.strip()), column, text);
                case "boolean" -> switch (text.strip().toLowerCase(Locale.ROOT)) {
                    case "true", "t", "1", "yes", "y" -> Boolean.TRUE;
                    case "false", "f", "0", "no", "n" -> Boolean.FALSE;
                    default -> throw new SyncValues.DirtyValue("column " + column + ": '" + text + "' is not a boolean");
                };
                case "date" -> date(text.strip(), format);
                case "bytes" -> text.startsWith("\\x") ? HexFormat.of().parseHex(text, 2, text.length())
                        : text.getBytes(StandardCharsets.UTF_8);
                default -> text;
            };
        } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
            throw new SyncValues.DirtyValue("column " + column + ": '" + (text.length() > 200 ? text.substring(0, 200) + "..." : text)
                    + "' is not a valid " + type + " (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new SyncValues.DirtyValue("column " + column + ": '" + text + "' is not \\x and hex digits (" + e.getMessage() + ")");
        }
    }

    /** A date, a timestamp or a timestamp with an offset, whichever the text (or the format) holds. */
    private static Object date(String text, DateTimeFormatter format) {
        if (format != null) {
            TemporalAccessor t = format.parse(text);
            if (t.isSupported(ChronoField.OFFSET_SECONDS) && t.isSupported(ChronoField.HOUR_OF_DAY)) {
                return OffsetDateTime.from(t);
            }
            return t.isSupported(ChronoField.HOUR_OF_DAY) ? LocalDateTime.from(t) : LocalDate.from(t);
        }
        String iso = text.replace(' ', 'T');
        if (iso.length() <= 10) {
            return LocalDate.parse(iso);
        }
        try {
            return LocalDateTime.parse(iso);
        } catch (DateTimeParseException e) {
            return OffsetDateTime.parse(iso);
        }
    }

    /** A value as CSV text (before quoting): numbers plain, dates ISO 8601 with a space, bytes as \x hex. */
    static String text(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof byte[] b) {
            return "\\x" + HexFormat.of().formatHex(b);
        }
        if (v instanceof LocalDateTime t) {
            return TIMESTAMP.format(t);
        }
        if (v instanceof OffsetDateTime t) {
            return TIMESTAMP_TZ.format(t);
        }
        if (v instanceof LocalTime t) {
            return DateTimeFormatter.ISO_LOCAL_TIME.format(t);
        }
        return v.toString(); // long, double, boolean, LocalDate
    }

    /** Formats records into bytes of the file's encoding; one per channel (it keeps a buffer and an encoder). */
    static final class Formatter {
        private final char delimiter;
        private final CharsetEncoder encoder;
        private final String nullFormat;
        private final StringBuilder line = new StringBuilder(256);

        Formatter(char delimiter, Charset cs, String nullFormat) {
            this.delimiter = delimiter;
            this.encoder = cs.newEncoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            this.nullFormat = nullFormat;
        }

        /** One record with its line break; a text the encoding cannot hold is a dirty value naming its column. */
        byte[] record(Object[] values, List<String> columns) throws SyncValues.DirtyValue {
            line.setLength(0);
            for (int i = 0; i < values.length; i++) {
                if (i > 0) {
                    line.append(delimiter);
                }
                if (values[i] == null) {
                    line.append(nullFormat);
                    continue;
                }
                String s = text(values[i]);
                if (s.indexOf(delimiter) >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
                        || s.equals(nullFormat) || (s.isEmpty() && values.length == 1)) {
                    line.append('"').append(s.replace("\"", "\"\"")).append('"');
                } else {
                    line.append(s);
                }
            }
            line.append('\n');
            try {
                ByteBuffer b = encoder.encode(CharBuffer.wrap(line));
                byte[] out = new byte[b.remaining()];
                b.get(out);
                return out;
            } catch (CharacterCodingException e) {
                encoder.reset();
                for (int i = 0; i < values.length; i++) {
                    if (values[i] != null && !encoder.canEncode(text(values[i]))) {
                        throw new SyncValues.DirtyValue("column " + columns.get(i) + ": the text cannot be written in "
                                + encoder.charset().name());
                    }
                }
                throw new SyncValues.DirtyValue("the record cannot be written in " + encoder.charset().name());
            }
        }
    }

    /**
     * The file a txtfile writer makes, written whole or not at all (DI-7): each split goes to its
     * own part file beside it, and when every split is done the parts are joined in split order
     * into a temporary file that is renamed over the target in one step. A crash leaves only
     * hidden {@code .<file>.srg-*} files, which the next run removes.
     */
    static final class Output {
        private final Path dir;
        private final String fileName;
        private final String tag;

        Output(Path dir, String fileName, String tag) {
            this.dir = dir;
            this.fileName = fileName;
            this.tag = tag;
        }

        Path target() {
            return dir.resolve(fileName);
        }

        Path part(int split) {
            return dir.resolve("." + fileName + ".srg-" + tag + ".part" + split);
        }

        /**
         * Tasks run under umask 077 as uids of their own: the next task (another uid) reading this export
         * must be able to. Where tasks share their workspace's group (V44_1; {@code SRG_WORKSPACE_GID}), the
         * file is that group's and readable by it only (0640), so another workspace's task cannot read
         * it even in a directory open to all; otherwise (tasks of one uid, a server that is not root)
         * 0644 as before, and who reaches the file at all is decided by the directory.
         */
        private static void shareWithTheWorkspace(Path file) throws IOException {
            String gid = System.getenv("SRG_WORKSPACE_GID");
            if (gid != null && !gid.isEmpty()) {
                try {
                    Files.setAttribute(file, "unix:gid", Integer.parseUnsignedInt(gid));
                    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
                    return;
                } catch (IOException | NumberFormatException e) {
                    // not a member of that group (tasks not run as uids of their own): readable by all, as before
                }
            }
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }

        /** Removes what an earlier run of this file left behind. */
        void cleanStale() throws IOException {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "." + fileName + ".srg-*")) {
                for (Path p : ds) {
                    Files.deleteIfExists(p);
                }
            }
        }

        OutputStream openPart(int split) throws IOException {
            return new BufferedOutputStream(Files.newOutputStream(part(split), StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), 1 << 16);
        }

        /** Joins the parts after the header into the target; replaces it unless {@code replace} is false. */
        void publish(List<Integer> splits, byte[] header, boolean replace) throws IOException {
            Path tmp = dir.resolve("." + fileName + ".srg-" + tag + ".tmp");
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                if (header != null) {
                    out.write(ByteBuffer.wrap(header));
                }
                for (int split : splits) {
                    try (FileChannel in = FileChannel.open(part(split), StandardOpenOption.READ)) {
                        long size = in.size();
                        long done = 0;
                        while (done < size) {
                            done += in.transferTo(done, size - done, out);
                        }
                    }
                }
                out.force(true);
            }
            shareWithTheWorkspace(tmp);
            if (replace) {
                Files.move(tmp, target(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                // nonConflict: a link fails if the target appeared meanwhile, and never replaces it
                Files.createLink(target(), tmp);
                Files.delete(tmp);
            }
            for (int split : splits) {
                Files.deleteIfExists(part(split));
            }
        }
    }
}
