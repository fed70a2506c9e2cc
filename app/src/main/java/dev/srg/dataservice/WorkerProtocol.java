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
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The frames between srg and a DataService worker on the worker's socket: a 4-byte length, then
 * that many bytes. One request, one answer, in turn, per connection; a connection is one of srg's
 * pool to the worker and keeps, in the worker, a thread and its database connections.
 *
 * <p>Request (JSON): {@code {ds, conn?, sql, binds: [[TYPE, text]...], countSql?, countBinds?, maxRows,
 * timeoutMillis}}. {@code ds} names the data source and its credential version ({@link WorkerSource});
 * {@code conn} ({@code {type, host, port, database, user, password}}) is sent only the first time a
 * connection uses that {@code ds} — the worker keeps it for the connection's life, in memory only —
 * so the password crosses the socket once per connection, not once per call.
 *
 * <p>Answer: a JSON head, {@code {ok: true, rows, total?, millis}} or {@code {ok: false, error:
 * TIMEOUT|CONNECT|QUERY|BAD_REQUEST, message}} (the message is for srg's log and the API's developer,
 * never for callers), and after an {@code ok} head a second frame: the rows as the JSON array the
 * caller gets, which srg copies into its answer without parsing it.
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
    private static final int CHALLENGE_BYTES = 32;
    private static final byte[] ADMITTED = "ok".getBytes(StandardCharsets.US_ASCII);

    private WorkerProtocol() {}

    static void write(DataOutputStream out, byte[] frame) throws IOException {
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
    }

    static byte[] readKey(Path file) throws IOException {
        return Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
    }

    /** The worker's side of the challenge: whether the peer knows {@code key}; at most 10 s for its answer. */
    static boolean admitted(SocketChannel channel, byte[] key) {
        try {
            channel.socket().setSoTimeout(10_000);
            byte[] challenge = new byte[CHALLENGE_BYTES];
            new SecureRandom().nextBytes(challenge);
            DataOutputStream out = new DataOutputStream(channel.socket().getOutputStream());
            DataInputStream in = new DataInputStream(channel.socket().getInputStream());
            write(out, challenge);
            int length = in.readInt();
            if (length != 32) {
                return false;
            }
            byte[] answer = new byte[length];
            in.readFully(answer);
            if (!MessageDigest.isEqual(answer, hmac(key, challenge))) {
                return false;
            }
            write(out, ADMITTED);
            channel.socket().setSoTimeout(0);
            return true;
        } catch (IOException e) {
            return false;
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
