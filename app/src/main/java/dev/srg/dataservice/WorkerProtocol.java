package dev.srg.dataservice;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * The frames between srg and a DataService worker on the worker's Unix socket: a 4-byte length,
 * then that many bytes of UTF-8 JSON. One request, one answer, in turn, per connection.
 *
 * <p>Request: {@code {conn: {type, host, port, database, user, password}, sql, binds: [[TYPE, text]...],
 * countSql?, countBinds?, maxRows, timeoutMillis}}. Answer: {@code {ok: true, data: [{...}], total?,
 * millis}} or {@code {ok: false, error: TIMEOUT|CONNECT|QUERY|BAD_REQUEST, message}} — the message is
 * for srg's log and the API's developer (test), never for callers.
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
