package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How old what DataService's caches serve may be (a group's state: RG-4, within 2 s). */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class RefreshingCacheTest {

    @Test
    @DisplayName("SPEC RG-4: an entry is as old as its read: one that took longer than an entry may be served is read again by the next call")
    void anEntryIsAsOldAsItsRead() {
        AtomicInteger reads = new AtomicInteger();
        long maxStale = TimeUnit.MILLISECONDS.toNanos(200);
        // a store slow to answer (a loaded machine): what it answers is as of when the read began
        RefreshingCache<String, Integer> cache = new RefreshingCache<>("test", key -> {
            int read = reads.incrementAndGet();
            if (read == 1) {
                sleep(300);
            }
            return read;
        }, maxStale / 4, maxStale);
        assertThat(cache.get("group")).isEqualTo(1);
        // that read began 300 ms ago, more than the 200 ms an entry may be served: not served, read again
        // (counted from the read's end, it looked fresh, and a group frozen meanwhile kept serving)
        assertThat(cache.get("group")).isEqualTo(2);
    }

    @Test
    @DisplayName("a fresh entry is served without a read")
    void aFreshEntryIsServedWithoutARead() {
        AtomicInteger reads = new AtomicInteger();
        RefreshingCache<String, Integer> cache = new RefreshingCache<>("test", key -> reads.incrementAndGet(),
                TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(60));
        assertThat(cache.get("group")).isEqualTo(1);
        assertThat(cache.get("group")).isEqualTo(1);
        assertThat(reads).hasValue(1);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
