package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a call reads from srg's store (a route, an app, a group's state, a data source), kept so
 * that under steady traffic no call waits for the store: an entry older than {@code refreshNanos}
 * is still answered while one background thread reloads it (one reload per entry at a time). Only
 * an entry nobody asked for in {@code maxStaleNanos} (idle traffic) is reloaded by the call that
 * needs it, so what a call sees is never older than that: an entry's age counts from when its read
 * began, not from when it ended (a read slowed by a loaded store would otherwise be served as fresh
 * for its own duration longer, and a group frozen during it would serve that much past
 * {@code maxStaleNanos}). The profile of bench/dataservice showed
 * why: with expiring entries, every second the calls that found them expired queued on the store
 * together, which made the p99 (docs/benchmarks.md).
 *
 * <p>A loader that throws on reload drops the entry: the next call loads it and sees the error.
 */
final class RefreshingCache<K, V> {
    private static final Logger LOG = LoggerFactory.getLogger(RefreshingCache.class);
    /** Keys come from callers (paths, AppCodes): a flood of unknown ones must not grow the heap without end. */
    static final int MAX_ENTRIES = 10_000;

    private final String name;
    private final Function<K, V> loader;
    private final long refreshNanos;
    private final long maxStaleNanos;
    private final Map<K, Entry<V>> entries = new ConcurrentHashMap<>();

    /** {@code loadedAt}: when the read of {@code value} began (System.nanoTime()). */
    private record Entry<V>(V value, long loadedAt, AtomicBoolean reloading) {
        Entry(V value, long loadedAt) {
            this(value, loadedAt, new AtomicBoolean());
        }
    }

    RefreshingCache(String name, Function<K, V> loader, long refreshNanos, long maxStaleNanos) {
        this.name = requireNonNull(name, "name is null");
        this.loader = requireNonNull(loader, "loader is null");
        if (refreshNanos <= 0 || maxStaleNanos < refreshNanos) {
            throw new IllegalArgumentException("0 < refresh <= max stale");
        }
        this.refreshNanos = refreshNanos;
        this.maxStaleNanos = maxStaleNanos;
    }

    V get(K key) {
        Entry<V> e = entries.get(key);
        long age = e == null ? Long.MAX_VALUE : System.nanoTime() - e.loadedAt();
        if (age >= maxStaleNanos) {
            long began = System.nanoTime();
            Entry<V> fresh = new Entry<>(loader.apply(key), began);
            if (e == null && entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
            entries.put(key, fresh);
            return fresh.value();
        }
        if (age >= refreshNanos && e.reloading().compareAndSet(false, true)) {
            Thread.ofVirtual().name("ds-cache-" + name).start(() -> reload(key, e));
        }
        return e.value();
    }

    private void reload(K key, Entry<V> old) {
        try {
            // replace only what was there: an invalidation in between wins over this older read
            long began = System.nanoTime();
            entries.replace(key, old, new Entry<>(loader.apply(key), began));
        } catch (RuntimeException ex) {
            LOG.debug("dataservice: reloading {} {} failed: {}", name, key, ex.toString());
            entries.remove(key, old);
        }
    }

    /** What changed here (a publish, a grant, an app deleted) is read again by the next call. */
    void invalidateAll() {
        entries.clear();
    }
}
