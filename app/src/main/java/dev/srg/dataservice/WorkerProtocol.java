package dev.srg.dataservice;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
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
    /**
     * The most a call's rows may take as JSON: a worker answers {@code TOO_LARGE} past it, srg refuses a
     * larger rows frame. srg holds a call's rows in memory while it answers; without a bound a few calls of
     * large rows at once took its whole heap (docs/dataservice.md).
     */
    static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;
    /** The instance's secret (base64) in the worker's working directory, for the TCP challenge. */
    static final String KEY_FILE = "dataservice.key";
    static final int CHALLENGE_BYTES = 32;
    private static final byte[] ADMITTED = "ok".getBytes(StandardCharsets.US_ASCII);

    /** A data source's details in a request, in this order (then its port). */
    private static final List<String> CONN_KEYS = List.of("type", "host", "database", "user", "password");

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

        /** This request with {@code key} and {@code details} (as {@link #with(String, Map)}), and what is left of its timeout. */
        Request with(String key, Map<String, Object> details, int timeoutMillis) {
            return new Request(key, details, sql, binds, countSql, countBinds, maxRows, timeoutMillis);
        }

        byte[] encode() {
            Frame f = new Frame(128 + sql.length());
            writeTo(f);
            return f.body();
        }

        /** Appends this request as one frame (its length, then its bytes) to {@code f}. */
        void writeTo(Frame f) {
            int start = f.begin();
            f.writeByte(BINARY);
            f.writeString(ds);
            f.writeBoolean(conn != null);
            if (conn != null) {
                for (String k : CONN_KEYS) {
                    f.writeString((String) conn.get(k));
                }
                f.writeInt(((Number) conn.get("port")).intValue());
            }
            f.writeString(sql);
            f.writeBinds(binds);
            f.writeBoolean(countSql != null);
            if (countSql != null) {
                f.writeString(countSql);
                f.writeBinds(countBinds);
            }
            f.writeInt(maxRows);
            f.writeInt(timeoutMillis);
            f.end(start);
        }

        static Request decode(byte[] frame) throws IOException {
            Reader in = new Reader(frame);
            if (in.readByte() != BINARY) {
                throw new IOException("not a request of this srg");
            }
            String ds = in.readString();
            Map<String, Object> conn = null;
            if (in.readBoolean()) {
                conn = new LinkedHashMap<>();
                for (String k : CONN_KEYS) {
                    conn.put(k, in.readString());
                }
                conn.put("port", in.readInt());
            }
            String sql = in.readString();
            List<List<String>> binds = in.readBinds();
            String countSql = null;
            List<List<String>> countBinds = null;
            if (in.readBoolean()) {
                countSql = in.readString();
                countBinds = in.readBinds();
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
            Frame f = new Frame(ok ? 32 : 256);
            writeTo(f);
            return f.body();
        }

        /** Appends this head as one frame to {@code f}. */
        void writeTo(Frame f) {
            int start = f.begin();
            f.writeByte(BINARY);
            f.writeBoolean(ok);
            f.writeInt(rows);
            f.writeLong(total);
            f.writeString(error);
            f.writeString(message);
            f.writeString(sqlState);
            f.writeString(address);
            f.end(start);
        }

        static Head decode(byte[] frame) throws IOException {
            Reader in = new Reader(frame);
            if (in.readByte() != BINARY) {
                throw new IOException("not an answer of this srg's worker");
            }
            return new Head(in.readBoolean(), in.readInt(), in.readLong(), in.readString(), in.readString(), in.readString(),
                    in.readString());
        }
    }

    /**
     * Frames being written: one growing array, kept per connection and reused for every call (the
     * profile had a stream, an array and a copy of it made per frame on both sides), written to the
     * socket in one write with what follows it (the worker's head and rows go together).
     */
    static final class Frame extends OutputStream {
        private static final int KEPT_BYTES = 256 * 1024;
        private byte[] buf;
        private int count;

        Frame(int capacity) {
            buf = new byte[capacity];
        }

        /** Empty again; an array grown past {@link #KEPT_BYTES} by a large answer is not kept for the next one. */
        void reset() {
            count = 0;
            if (buf.length > KEPT_BYTES) {
                buf = new byte[KEPT_BYTES];
            }
        }

        /** Starts a frame: room for its length. @return where it starts, for {@link #end} */
        int begin() {
            int start = count;
            writeInt(0);
            return start;
        }

        void end(int start) {
            int length = count - start - 4;
            buf[start] = (byte) (length >>> 24);
            buf[start + 1] = (byte) (length >>> 16);
            buf[start + 2] = (byte) (length >>> 8);
            buf[start + 3] = (byte) length;
        }

        /** The bytes of the one frame written, without its length. */
        byte[] body() {
            return Arrays.copyOfRange(buf, 4, count);
        }

        /** Sends what was written: one write on the socket for the frames together. */
        void sendTo(OutputStream out) throws IOException {
            out.write(buf, 0, count);
            out.flush();
        }

        @Override
        public void write(int b) {
            writeByte(b);
        }

        private void ensure(int more) {
            if (count + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
            }
        }

        void writeByte(int b) {
            ensure(1);
            buf[count++] = (byte) b;
        }

        void writeBoolean(boolean b) {
            writeByte(b ? 1 : 0);
        }

        void writeInt(int v) {
            ensure(4);
            buf[count++] = (byte) (v >>> 24);
            buf[count++] = (byte) (v >>> 16);
            buf[count++] = (byte) (v >>> 8);
            buf[count++] = (byte) v;
        }

        void writeLong(long v) {
            writeInt((int) (v >>> 32));
            writeInt((int) v);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        void writeString(String s) {
            if (s == null) {
                writeInt(-1);
                return;
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            writeInt(b.length);
            write(b, 0, b.length);
        }

        void writeBinds(List<List<String>> binds) {
            writeInt(binds.size());
            for (List<String> b : binds) {
                writeString(b.get(0));
                writeString(b.get(1));
            }
        }
    }

    /** Reads one frame's fields; a field that runs past the frame's end is an IOException, never a read beyond it. */
    private static final class Reader {
        private final ByteBuffer in;

        Reader(byte[] frame) {
            in = ByteBuffer.wrap(frame);
        }

        private void need(int n) throws IOException {
            if (n < 0 || n > in.remaining()) {
                throw new IOException("a field runs past its frame");
            }
        }

        byte readByte() throws IOException {
            need(1);
            return in.get();
        }

        boolean readBoolean() throws IOException {
            return readByte() != 0;
        }

        int readInt() throws IOException {
            need(4);
            return in.getInt();
        }

        long readLong() throws IOException {
            need(8);
            return in.getLong();
        }

        String readString() throws IOException {
            int n = readInt();
            if (n == -1) {
                return null;
            }
            need(n);
            String s = new String(in.array(), in.position(), n, StandardCharsets.UTF_8);
            in.position(in.position() + n);
            return s;
        }

        List<List<String>> readBinds() throws IOException {
            int n = readInt();
            need(n); // each bind takes more than a byte: a count past the frame is refused before any list is made
            List<List<String>> binds = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                binds.add(Arrays.asList(readString(), readString()));
            }
            return binds;
        }
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
        return read(in, MAX_FRAME);
    }

    /** The next frame's length (at most {@code max}), or -1 at a clean end of the stream; its bytes follow ({@link #readBody}). */
    static int readLength(DataInputStream in, int max) throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            return -1;
        }
        if (length < 0 || length > max) {
            throw new IOException("frame of " + length + " bytes refused");
        }
        return length;
    }

    /** The {@code length} bytes of a frame whose length {@link #readLength} read. */
    static byte[] readBody(DataInputStream in, int length) throws IOException {
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
    }

    /** The next frame of at most {@code max} bytes, or null at a clean end of the stream. */
    static byte[] read(DataInputStream in, int max) throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        if (length < 0 || length > max) {
            throw new IOException("frame of " + length + " bytes refused");
        }
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
    }
}
