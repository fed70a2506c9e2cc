package dev.srg.api;

import java.time.Duration;

/**
 * What one client may hold of the HTTP server (docs/architecture.md, "HTTP limits"): a request's
 * head must arrive whole within {@code headTimeout} of the connection's opening or of its previous
 * request's end (a connection that drips its head a byte at a time — slowloris — is closed, as is a
 * kept-alive connection that sends nothing for that long); at most {@code maxConnections} connections are open at once
 * (the next waits in the kernel's backlog, not in a descriptor: the acceptor never meets EMFILE).
 * DataService answers in flight take at most {@code answerBudgetBytes} of the heap together
 * (docs/dataservice.md). Set in the composition root from the server's configuration.
 *
 * @param maxConnections 0: derived from the process's descriptor limit ({@link #connectionsFor(long)})
 * @param answerBudgetBytes 0: derived from the heap (a quarter of it, at least four of the largest answers' bytes)
 */
public record HttpLimits(Duration headTimeout, int maxConnections, long answerBudgetBytes) {
    public static final Duration DEFAULT_HEAD_TIMEOUT = Duration.ofSeconds(20);
    public static final HttpLimits DEFAULTS = new HttpLimits(DEFAULT_HEAD_TIMEOUT, 0, 0);

    public HttpLimits {
        if (headTimeout == null || headTimeout.isNegative() || headTimeout.isZero()) {
            throw new IllegalArgumentException("headTimeout must be positive");
        }
        if (maxConnections < 0 || answerBudgetBytes < 0) {
            throw new IllegalArgumentException("maxConnections and answerBudgetBytes must not be negative");
        }
    }

    /** The connection limit: the configured one, else {@link #connectionsFor} this process's descriptor limit. */
    public int connections() {
        if (maxConnections > 0) {
            return maxConnections;
        }
        long fds = -1;
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            fds = unix.getMaxFileDescriptorCount();
        }
        return connectionsFor(fds);
    }

    /**
     * Half the descriptor limit, at least 64 and at most 10,000: the other half is the database's
     * pool, the tasks' supervisors and logs, the DataService workers' sockets; unknown: 1,000.
     */
    static int connectionsFor(long descriptorLimit) {
        if (descriptorLimit <= 0) {
            return 1000;
        }
        return (int) Math.max(64, Math.min(10_000, descriptorLimit / 2));
    }
}
