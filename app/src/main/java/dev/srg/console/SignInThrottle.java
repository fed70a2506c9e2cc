package dev.srg.console;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits failed sign-ins per user name and per client address in a sliding window, so a password
 * cannot be guessed at speed. While limited, no password is checked at all.
 */
final class SignInThrottle {
    static final Duration WINDOW = Duration.ofMinutes(15);
    static final int PER_NAME = 5;
    static final int PER_ADDRESS = 20;

    private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();
    private final Clock clock;

    SignInThrottle(Clock clock) {
        this.clock = java.util.Objects.requireNonNull(clock, "clock is null");
    }

    /** How long the caller must wait before trying again, if limited now. */
    Optional<Duration> blocked(String name, String address) {
        Instant now = clock.instant();
        Optional<Duration> byName = wait("name:" + name, PER_NAME, now);
        return byName.isPresent() ? byName : wait("addr:" + address, PER_ADDRESS, now);
    }

    void failed(String name, String address) {
        Instant now = clock.instant();
        add("name:" + name, now);
        add("addr:" + address, now);
        if (failures.size() > 10_000) {
            failures.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    prune(e.getValue(), now);
                    return e.getValue().isEmpty();
                }
            });
        }
    }

    void succeeded(String name) {
        failures.remove("name:" + name);
    }

    private Optional<Duration> wait(String key, int limit, Instant now) {
        Deque<Instant> d = failures.get(key);
        if (d == null) {
            return Optional.empty();
        }
        synchronized (d) {
            prune(d, now);
            if (d.size() < limit) {
                return Optional.empty();
            }
            return Optional.of(Duration.between(now, d.peekFirst().plus(WINDOW)));
        }
    }

    private void add(String key, Instant now) {
        Deque<Instant> d = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (d) {
            prune(d, now);
            d.addLast(now);
        }
    }

    private static void prune(Deque<Instant> d, Instant now) {
        while (!d.isEmpty() && !d.peekFirst().plus(WINDOW).isAfter(now)) {
            d.removeFirst();
        }
    }
}
