package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The worker's TCP listener (a Pod on Kubernetes): every new connection must answer the challenge
 * (WorkerProtocol) before anything else is read or a thread is spent on it. All connections still
 * proving themselves are handled by the one accepting thread, non-blocking, at most {@link
 * #MAX_PENDING} at a time (a new one beyond that closes the oldest) and each for at most {@link
 * #PROVE_MILLIS}: anything that reaches the port can open connections, but it cannot make the
 * worker start threads or hold memory for them. Only an admitted connection (srg's) gets a thread.
 */
final class ChallengeGate {
    static final int MAX_PENDING = 64;
    static final long PROVE_MILLIS = 5_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ServerSocketChannel server;
    private final byte[] key;
    private final Consumer<SocketChannel> admitted;
    private final Deque<SelectionKey> pending = new ArrayDeque<>();

    /** A connection proving itself: the challenge sent, the answer (a frame of 32 bytes) read so far. */
    private record Proving(byte[] challenge, ByteBuffer answer, long deadline) {}

    /** @param admitted gets each connection that answered (blocking again), to serve on its own thread */
    ChallengeGate(ServerSocketChannel server, byte[] key, Consumer<SocketChannel> admitted) {
        this.server = requireNonNull(server, "server is null");
        this.key = requireNonNull(key, "key is null").clone();
        this.admitted = requireNonNull(admitted, "admitted is null");
    }

    /** Accepts and admits until the server socket is closed. */
    void run() throws IOException {
        try (Selector selector = Selector.open()) {
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            while (server.isOpen()) {
                selector.select(500);
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) {
                        continue;
                    }
                    if (k.isAcceptable()) {
                        accept(selector);
                    } else if (k.isReadable()) {
                        read(selector, k);
                    }
                }
                expire();
            }
        }
    }

    private void accept(Selector selector) throws IOException {
        for (SocketChannel c = server.accept(); c != null; c = server.accept()) {
            try {
                c.configureBlocking(false);
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                byte[] challenge = new byte[WorkerProtocol.CHALLENGE_BYTES];
                RANDOM.nextBytes(challenge);
                ByteBuffer out = ByteBuffer.allocate(4 + challenge.length).putInt(challenge.length).put(challenge).flip();
                c.write(out);
                if (out.hasRemaining()) {
                    throw new IOException("the challenge did not fit the socket's buffer");
                }
                if (pending.size() >= MAX_PENDING) {
                    close(pending.pollFirst());
                }
                pending.addLast(c.register(selector, SelectionKey.OP_READ, new Proving(challenge,
                        ByteBuffer.allocate(4 + WorkerProtocol.CHALLENGE_BYTES),
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROVE_MILLIS))));
            } catch (IOException e) {
                c.close();
            }
        }
    }

    private void read(Selector selector, SelectionKey k) {
        Proving p = (Proving) k.attachment();
        SocketChannel c = (SocketChannel) k.channel();
        try {
            if (c.read(p.answer()) < 0) {
                throw new IOException("closed before answering");
            }
            if (p.answer().hasRemaining()) {
                return;
            }
            p.answer().flip();
            int length = p.answer().getInt();
            byte[] answer = new byte[WorkerProtocol.CHALLENGE_BYTES];
            p.answer().get(answer);
            pending.remove(k);
            if (length != answer.length || !MessageDigest.isEqual(answer, WorkerProtocol.hmac(key, p.challenge()))) {
                close(k);
                return;
            }
            k.cancel();
            selector.selectNow(); // deregisters it, so that it can block again
            c.configureBlocking(true);
            WorkerProtocol.admit(c);
            admitted.accept(c);
        } catch (IOException e) {
            pending.remove(k);
            close(k);
        }
    }

    private void expire() {
        long now = System.nanoTime();
        while (!pending.isEmpty() && now - ((Proving) pending.peekFirst().attachment()).deadline() > 0) {
            close(pending.pollFirst());
        }
    }

    private static void close(SelectionKey k) {
        k.cancel();
        try {
            k.channel().close();
        } catch (IOException e) {
            // gone already
        }
    }
}
