package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import dev.srg.group.GroupLimitsListener;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The services that could not start because their CU do not fit their group (its DATA_SERVICE
 * quota or its size), remembered for a moment: without it, every call of such a service read the
 * store and went through admission again to get the same 503. Forgotten at once when the group's
 * limits change here (a quota, a scale, a state change such as a release or a freeze: the
 * {@link GroupLimitsListener} admission is told by), when the service is resized or started, and
 * after {@link #TTL_NANOS} in any case (a change made on another server of a cluster).
 */
public final class StartFailures implements GroupLimitsListener {
    /** How long a failure is remembered at most. */
    static final long TTL_NANOS = TimeUnit.SECONDS.toNanos(2);

    private record Failure(String groupId, long at) {}

    /** By "workspace/group" (ServiceInstances' key). */
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;
    /** Changes of any group's limits so far. */
    private final AtomicLong changes = new AtomicLong();

    public StartFailures() {
        this(System::nanoTime);
    }

    StartFailures(LongSupplier nanoTime) {
        this.nanoTime = requireNonNull(nanoTime, "nanoTime is null");
    }

    /** To be taken before an attempt to start, and given to {@link #failed}. */
    long mark() {
        return changes.get();
    }

    /**
     * The service of {@code workspaceId} on {@code groupId} did not fit, in an attempt begun at
     * {@code mark}: not remembered when a group's limits changed since (the attempt may have read
     * the limits from before the change).
     */
    void failed(String workspaceId, String groupId, long mark) {
        String key = workspaceId + "/" + groupId;
        Failure f = new Failure(groupId, nanoTime.getAsLong());
        failures.put(key, f);
        // a change counted after this check removes the entry itself (it counts, then removes)
        if (changes.get() != mark) {
            failures.remove(key, f);
        }
    }

    /** Whether it did not fit within the last {@link #TTL_NANOS} and nothing changed since. */
    boolean recentlyFailed(String workspaceId, String groupId) {
        String key = workspaceId + "/" + groupId;
        Failure f = failures.get(key);
        if (f == null) {
            return false;
        }
        if (nanoTime.getAsLong() - f.at() >= TTL_NANOS) {
            failures.remove(key, f);
            return false;
        }
        return true;
    }

    /** The service was started or resized: the next call tries again. */
    void forget(String workspaceId, String groupId) {
        failures.remove(workspaceId + "/" + groupId);
    }

    @Override
    public void limitsChanged(String groupId) {
        changes.incrementAndGet();
        failures.values().removeIf(f -> f.groupId().equals(groupId));
    }
}
