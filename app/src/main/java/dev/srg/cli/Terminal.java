package dev.srg.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Whether the CLI writes to a terminal, and how wide it is. Java cannot ask either of a stream
 * ({@code System.console()} looks at stdin and stdout together, and from JDK 22 on answers even
 * without a terminal), so this reads which file each descriptor is ({@code /proc/self/fd}, srg
 * runs on Linux) and asks {@code stty} the width, as {@code tput cols} would.
 */
final class Terminal {
    static final int STDOUT = 1;
    static final int STDERR = 2;

    private Terminal() {}

    /** The terminal device behind file descriptor {@code fd}; empty for a file, a pipe or a socket. */
    static Optional<Path> of(int fd) {
        try {
            Path target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
            String name = target.toString();
            return name.startsWith("/dev/pts/") || name.startsWith("/dev/tty") ? Optional.of(target) : Optional.empty();
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /**
     * The width of the terminal on standard output in characters, 0 when there is none or it
     * cannot be told: {@code stty size} with the terminal as its input (a few milliseconds, asked
     * only when a table would need it).
     */
    static int stdoutColumns() {
        Optional<Path> tty = of(STDOUT);
        if (tty.isEmpty()) {
            return 0;
        }
        try {
            Process stty = new ProcessBuilder("stty", "size").redirectInput(tty.get().toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String answer = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (!stty.waitFor(2, TimeUnit.SECONDS) || stty.exitValue() != 0) {
                stty.destroy();
                return 0;
            }
            String[] rowsColumns = answer.split("\\s+");
            return rowsColumns.length == 2 ? Math.max(0, Integer.parseInt(rowsColumns[1])) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
