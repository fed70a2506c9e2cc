package dev.srg.os;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Single threads of this JVM go below the process's CPU priority (issue 17: the JIT's compiler
 * threads in a server), read back from /proc; nothing else moves, and a virtual thread cannot
 * lower its carrier (which also runs the requests).
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ThreadNiceTest {

    private final int base = ThreadNice.processNice().orElseThrow();

    @Test
    void aThreadLowersItselfAloneAndWhatItStartsInheritsIt() throws Exception {
        CompletableFuture<int[]> seen = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("srg-nice-self").start(() -> {
            boolean lowered = ThreadNice.lowerCurrent(3);
            int own = ThreadNice.threadNice(ThreadNice.currentTid().orElseThrow()).orElseThrow();
            int[] child = new int[1];
            Thread c = Thread.ofPlatform().start(() -> child[0] = ThreadNice.threadNice(ThreadNice.currentTid().orElseThrow()).orElseThrow());
            try {
                c.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            seen.complete(new int[] {lowered ? 1 : 0, own, child[0]});
        });
        int[] r = seen.get(30, TimeUnit.SECONDS);
        t.join();
        assertThat(r[0]).as("lowered").isEqualTo(1);
        assertThat(r[1]).as("its own nice").isEqualTo(Math.min(19, base + 3));
        assertThat(r[2]).as("a thread it made").isEqualTo(Math.min(19, base + 3));
        assertThat(ThreadNice.threadNice(ThreadNice.currentTid().orElseThrow()).orElseThrow()).as("the caller").isEqualTo(base);
        assertThat(ThreadNice.processNice().orElseThrow()).as("the process").isEqualTo(base);
    }

    @Test
    void threadsAreLoweredByNameAndOnlyThose() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        Thread named = Thread.ofPlatform().name("srg-nice-n1").start(() -> await(done));
        Thread other = Thread.ofPlatform().name("srg-other-1").start(() -> await(done));
        try {
            assertThat(ThreadNice.lowerNamed(2, List.of("srg-nice-n"))).isEqualTo(1);
            assertThat(niceOfThreadNamed("srg-nice-n1")).isEqualTo(Math.min(19, base + 2));
            assertThat(niceOfThreadNamed("srg-other-1")).isEqualTo(base);
            // again: the same target, not two steps more
            assertThat(ThreadNice.lowerNamed(2, List.of("srg-nice-n"))).isEqualTo(1);
            assertThat(niceOfThreadNamed("srg-nice-n1")).isEqualTo(Math.min(19, base + 2));
            assertThat(ThreadNice.lowerNamed(0, List.of("srg-other"))).isZero();
            assertThat(niceOfThreadNamed("srg-other-1")).isEqualTo(base);
            assertThat(ThreadNice.lowerNamed(2, List.of("no thread is called this"))).isZero();
        } finally {
            done.countDown();
            named.join();
            other.join();
        }
    }

    @Test
    void aVirtualThreadCannotLowerItsCarrier() throws Exception {
        CompletableFuture<Boolean> lowered = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> lowered.complete(ThreadNice.lowerCurrent(5))).join();
        assertThat(lowered.get()).isFalse();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            tasks.filter(t -> comm(t).startsWith("ForkJoinPool"))
                    .forEach(t -> assertThat(ThreadNice.threadNice(Long.parseLong(t.getFileName().toString())).orElse(base))
                            .as("carrier " + t).isEqualTo(base));
        }
    }

    private static int niceOfThreadNamed(String name) throws Exception {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            long tid = tasks.filter(t -> comm(t).equals(name)).map(t -> Long.parseLong(t.getFileName().toString()))
                    .findFirst().orElseThrow();
            return ThreadNice.threadNice(tid).orElseThrow();
        }
    }

    private static String comm(Path task) {
        try {
            return Files.readString(task.resolve("comm")).strip();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
