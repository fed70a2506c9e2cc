package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A worker's socket under a data directory too long for a socket path is still reached (real Unix sockets). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SocketLinksTest {
    @TempDir
    Path tmp;

    @Test
    void aSocketPathLongerThanTheKernelTakesIsReachedThroughALink() throws IOException {
        // the worker binds in its home; the home is reached by a path far over the 106 bytes the JDK takes
        Path home = Files.createDirectory(tmp.resolve("h"));
        Path deep = Files.createDirectories(tmp.resolve("a-data-directory-whose-name-is-long".repeat(3)).resolve("instances"));
        Path longHome = Files.createSymbolicLink(deep.resolve("r-01m8tsd44b0pnmmtreh0-1"), home);
        Path socket = longHome.resolve(WorkerProtocol.SOCKET);
        assertThat(socket.toString().length()).isGreaterThan(SocketLinks.MAX_PATH_BYTES);
        Path linkDir;
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             SocketLinks links = new SocketLinks()) {
            server.bind(UnixDomainSocketAddress.of(home.resolve(WorkerProtocol.SOCKET)));
            assertThatThrownBy(() -> connect(socket)).as("the kernel refuses the long path itself").isInstanceOf(IOException.class);

            Path shorter = links.connectable(socket);
            assertThat(shorter.toString().length()).isLessThanOrEqualTo(SocketLinks.MAX_PATH_BYTES);
            assertThat(links.connectable(socket)).as("one link per home").isEqualTo(shorter);
            assertThat(Files.getPosixFilePermissions(shorter.getParent().getParent()))
                    .isEqualTo(PosixFilePermissions.fromString("rwx------"));
            try (SocketChannel client = connect(shorter); SocketChannel accepted = server.accept()) {
                client.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.UTF_8)));
                ByteBuffer got = ByteBuffer.allocate(4);
                while (got.hasRemaining() && accepted.read(got) >= 0) {
                    // until the four bytes are in
                }
                assertThat(new String(got.array(), StandardCharsets.UTF_8)).isEqualTo("ping");
            }
            linkDir = shorter.getParent().getParent();
        }
        assertThat(linkDir).as("the links go with the client").doesNotExist();
    }

    @Test
    void aSocketPathOfExactly107BytesIsReachedToo() throws IOException {
        // sun_path has 108 bytes, but the JDK refuses a path of 107 ("Unix domain path too long"): a data
        // directory whose socket path came to exactly 107 bytes had a DataService service "starting" for good
        Path home = Files.createDirectory(tmp.resolve("h"));
        String prefix = tmp.resolve("d").toString();
        int fill = 107 - prefix.length() - ("/" + WorkerProtocol.SOCKET).length();
        Path edge = Files.createSymbolicLink(Path.of(prefix + "x".repeat(fill)), home);
        Path socket = edge.resolve(WorkerProtocol.SOCKET);
        assertThat(socket.toString().getBytes(StandardCharsets.UTF_8)).hasSize(107);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             SocketLinks links = new SocketLinks()) {
            server.bind(UnixDomainSocketAddress.of(home.resolve(WorkerProtocol.SOCKET)));
            try (SocketChannel client = connect(links.connectable(socket)); SocketChannel accepted = server.accept()) {
                assertThat(client.isConnected() && accepted.isConnected()).isTrue();
            }
        }
    }

    @Test
    void aShortPathIsUsedAsItIs() {
        Path socket = tmp.resolve("h").resolve(WorkerProtocol.SOCKET);
        try (SocketLinks links = new SocketLinks()) {
            assertThat(links.connectable(socket)).isSameAs(socket);
        }
    }

    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return channel;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }
}
