package dev.srg.dataservice;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

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
 */
final class WorkerProtocol {
    /** The socket's file name in the worker's home (its working directory). */
    static final String SOCKET = "dataservice.sock";
    static final int MAX_FRAME = 64 * 1024 * 1024;

    private WorkerProtocol() {}

    static void write(DataOutputStream out, byte[] frame) throws IOException {
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
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
