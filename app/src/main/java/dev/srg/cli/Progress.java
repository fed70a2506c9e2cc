package dev.srg.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What a {@code --wait} shows while it waits: on a terminal a spinner with the status and the time
 * so far, rewritten in place on stderr (stdout keeps only the answer); nothing when stderr is not a
 * terminal, unless {@code SRG_PROGRESS=always} (and {@code never} silences it on a terminal).
 */
final class Progress {
    private static final String FRAMES = "|/-\\";
    private final PrintWriter err;
    private final boolean shown;
    private final Instant start = Instant.now();
    private int frame;
    private boolean drawn;

    Progress(PrintWriter err, Map<String, String> env) {
        this.err = err;
        String mode = env.getOrDefault("SRG_PROGRESS", "auto");
        this.shown = mode.equals("always") || (!mode.equals("never") && Terminal.of(Terminal.STDERR).isPresent());
    }

    /** One tick: {@code | waiting for rg-...: CREATING (3s)}. */
    void tick(String what, String status) {
        if (!shown) {
            return;
        }
        long seconds = Duration.between(start, Instant.now()).toSeconds();
        err.print("\r" + FRAMES.charAt(frame++ % FRAMES.length()) + " waiting for " + what + ": " + status + " (" + seconds + "s)\u001b[K");
        err.flush();
        drawn = true;
    }

    /** Clears the line so the answer starts clean. */
    void done() {
        if (drawn) {
            err.print("\r\u001b[K");
            err.flush();
        }
    }
}
