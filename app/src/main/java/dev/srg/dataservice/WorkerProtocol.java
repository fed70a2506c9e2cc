package dev.srg.dataservice;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The frames between srg and a DataService worker on the worker's socket: a 4-byte length, then
 * that many bytes. One request, one answer, in turn, per connection; a connection is one of srg's
 * pool to the worker and keeps, in the worker, a thread and its database connections.
 *
 * <p>Request ({@link Request}, binary: the profile had JSON writing and parsing of this small,
 * fixed frame among srg's and the worker's costs per call): the data source's key ({@link
 * WorkerSource}), its connection details ({@code type, host, port, database, user, password}) only
 * the first time a connection uses that key — the worker keeps them for the connection's life, in
 * memory only, so the password crosses the socket once per connection, not once per call — then the
 * SQL, its binds ({@code [TYPE, text]}), the count query and its binds when paged, the row limit and
 * the timeout.
 *
 * <p>Answer: a head ({@link Head}: ok with the number of rows and the total when paged, or an error
 * TIMEOUT|CONNECT|QUERY|BAD_REQUEST with a message for srg's log and the API's developer, never for
 * callers), and after an ok head a second frame: the rows as the JSON array the caller gets, which
 * srg copies into its answer without parsing it. Both frames of the binary kind start with {@link
 * #BINARY}; a worker of an older srg answered JSON (it starts with '{'): srg restarts such a service.
 *
 * <p>Over TCP (a worker in a Pod), a connection starts with a challenge: the worker sends 32 random
 * bytes, srg answers their HMAC-SHA256 with the instance's secret ({@link #KEY_FILE}: derived by srg,
 * {@link DataServiceKind#workerSecret}, and given to the worker only in its launch's files), and the
 * worker answers {@code ok} or closes the connection. Nothing else is read before that.
 */
final class WorkerProtocol {
    /** The socket's file name in the worker's home (its working directory). */
    static final String SOCKET = "dataservice.sock";
    static final int MAX_FRAME = 64 * 1024 * 1024;
    /** The instance's secret (base64) in the worker's working directory, for the TCP challenge. */
    static final String KEY_FILE = "dataservice.key";
    static final int CHALLENGE_BYTES = 32;
    private static final byte[] ADMITTED = "ok".getBytes(StandardCharsets.US_ASCII);

    /** The first byte of a binary request and head. */
    static final byte BINARY = 1;

    private WorkerProtocol() {}

    /**
     * One query for the worker. {@code conn}: the source's details (null when this connection has
     * them); {@code binds}: {@code [ParamType name, text or null]} each.
     */
    record Request(String ds, Map<String, Object> conn, String sql, List<List<String>> binds, String countSql,
                   List<List<String>> countBinds, int maxRows, int timeoutMillis) {
        Request with(String key, Map<String, Object> details) {
            return new Request(key, details, sql, binds, countSql, countBinds, maxRows, timeoutMillis);
        }

        byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128 + sql.length());
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(BINARY);
                writeString(out, ds);
                out.writeBoolean(conn != null);
                if (conn != null) {
                    for (String k : List.of("type", "host", "database", "user", "password")) {
                        writeString(out, (String) conn.get(k));
                    }
                    out.writeInt(((Number) conn.get("port")).intValue());
                }
                writeString(out, sql);
                writeBinds(out, binds);
                out.writeBoolean(countSql != null);
                if (countSql != null) {
                    writeString(out, countSql);
                    writeBinds(out, countBinds);
                }
                out.writeInt(maxRows);
                out.writeInt(timeoutMillis);
            } catch (IOException e) {
                throw new IllegalStateException(e); // in memory
            }
            return bytes.toByteArray();
        }

        static Request decode(byte[] frame) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(frame));
            if (in.readByte() != BINARY) {
                throw new IOException("not a request of this srg");
            }
            String ds = readString(in);
            Map<String, Object> conn = null;
            if (in.readBoolean()) {
                conn = new LinkedHashMap<>();
                for (String k : List.of("type", "host", "database", "user", "password")) {
                    conn.put(k, readString(in));
                }
                conn.put("port", in.readInt());
            }
            String sql = readString(in);
            List<List<String>> binds = readBinds(in);
            String countSql = null;
            List<List<String>> countBinds = null;
            if (in.readBoolean()) {
                countSql = readString(in);
                countBinds = readBinds(in);
            }
            return new Request(ds, conn, sql, binds, countSql, countBinds, in.readInt(), in.readInt());
        }
    }

    /** The answer's head; {@code total} -1 when not counted, {@code address}: where a CONNECT failure went. */
    record Head(boolean ok, int rows, long total, String error, String message, String sqlState, String address) {
        static Head ok(int rows, long total) {
            return new Head(true, rows, total, null, null, null, null);
        }

        static Head failed(String error, String message, String sqlState) {
            return new Head(false, 0, -1, error, message, sqlState, null);
        }

        Head at(String where) {
            return new Head(ok, rows, total, error, message, sqlState, where);
        }

        byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(ok ? 16 : 256);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(BINARY);
                out.writeBoolean(ok);
                out.writeInt(rows);
                out.writeLong(total);
                for (String s : new String[] {error, message, sqlState, address}) {
                    writeString(out, s);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e); // in memory
            }
            return bytes.toByteArray();
        }

        static Head decode(byte[] frame) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(frame));
            if (in.readByte() != BINARY) {
                throw new IOException("not an answer of this srg's worker");
            }
            return new Head(in.readBoolean(), in.readInt(), in.readLong(), readString(in), readString(in), readString(in),
                    readString(in));
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        if (n > in.available()) {
            throw new IOException("a string runs past its frame");
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    private static void writeBinds(DataOutputStream out, List<List<String>> binds) throws IOException {
        out.writeInt(binds.size());
        for (List<String> b : binds) {
            writeString(out, b.get(0));
            writeString(out, b.get(1));
        }
    }

    private static List<List<String>> readBinds(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("a list of binds runs past its frame");
        }
        List<List<String>> binds = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            binds.add(Arrays.asList(readString(in), readString(in)));
        }
        return binds;
    }

    static void write(DataOutputStream out, byte[] frame) throws IOException {
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
    }

    static byte[] readKey(Path file) throws IOException {
        return Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
    }

    /** The worker's word that a connection answered its challenge ({@link ChallengeGate}). */
    static void admit(SocketChannel channel) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(4 + ADMITTED.length).putInt(ADMITTED.length).put(ADMITTED).flip();
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /** srg's side of the challenge, on a new TCP connection. */
    static void prove(DataInputStream in, DataOutputStream out, byte[] key) throws IOException {
        byte[] challenge = read(in);
        if (challenge == null || challenge.length != CHALLENGE_BYTES) {
            throw new IOException("the worker did not send its challenge");
        }
        write(out, hmac(key, challenge));
        byte[] verdict = read(in);
        if (verdict == null || !Arrays.equals(verdict, ADMITTED)) {
            throw new IOException("the worker refused srg's answer to its challenge (not this instance's secret)");
        }
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The next frame, or null at a clean end of the stream. */
    static byte[] read(DataInputStream in) throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        if (length < 0 || length > MAX_FRAME) {
            throw new IOException("frame of " + length + " bytes refused");
        }
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
    }
}
