package dev.srg.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Lowers the CPU priority (nice) of single threads of this JVM on Linux, where nice is a per-thread
 * attribute: work that can wait (the JIT compiling, admissions and launches) then takes the CPU
 * after the threads that answer requests, and after PostgreSQL's backends (issue 17, the submit's
 * tail). Lowering needs no privilege; nothing here ever raises a priority. A thread created by a
 * lowered thread inherits its nice (Linux copies it at {@code clone}).
 *
 * <p>Through {@code renice} (util-linux): Java 21 has no {@code setpriority}. Where that fails (no
 * {@code /proc}, no {@code renice}) the threads keep the server's priority and the caller says so.
 */
public final class ThreadNice {
    private static final Path TASKS = Path.of("/proc/self/task");

    private ThreadNice() {}

    /** This process's nice (its main thread's), or empty when {@code /proc} cannot tell. */
    public static OptionalInt processNice() {
        return niceOf(Path.of("/proc/self/stat"));
    }

    /** A thread's nice, by its Linux thread id; empty when it is gone or {@code /proc} cannot tell. */
    public static OptionalInt threadNice(long tid) {
        return niceOf(TASKS.resolve(Long.toString(tid)).resolve("stat"));
    }

    /** The calling thread's Linux thread id; empty on a virtual thread (its carrier is not its own) or without {@code /proc}. */
    public static OptionalLong currentTid() {
        if (Thread.currentThread().isVirtual()) {
            return OptionalLong.empty();
        }
        try {
            // "<pid>/task/<tid>"
            return OptionalLong.of(Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString()));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Sets the calling platform thread to the process's nice + {@code steps} (at most 19); false when
     * it could not (a virtual thread, no {@code /proc}, no {@code renice}), or {@code steps} is 0.
     */
    public static boolean lowerCurrent(int steps) {
        OptionalLong tid = currentTid();
        return steps > 0 && tid.isPresent() && lower(steps, List.of(tid.getAsLong())) == 1;
    }

    /**
     * Sets every thread of this JVM whose name (as the kernel keeps it: its first 15 bytes) starts
     * with one of {@code prefixes} to the process's nice + {@code steps}; returns how many were set.
     */
    public static int lowerNamed(int steps, List<String> prefixes) {
        if (steps <= 0) {
            return 0;
        }
        List<Long> tids = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(TASKS)) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String name;
                try {
                    name = Files.readString(task.resolve("comm")).strip();
                } catch (IOException e) {
                    continue; // ended meanwhile
                }
                if (prefixes.stream().anyMatch(name::startsWith)) {
                    tids.add(Long.parseLong(task.getFileName().toString()));
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return tids.isEmpty() ? 0 : lower(steps, tids);
    }

    /** {@code renice} of {@code tids} to the process's nice + {@code steps}; how many are at it afterwards. */
    private static int lower(int steps, List<Long> tids) {
        OptionalInt base = processNice();
        if (base.isEmpty()) {
            return 0;
        }
        int target = Math.min(19, base.getAsInt() + steps);
        List<String> command = new ArrayList<>(List.of("renice", "-n", Integer.toString(target), "-p"));
        tids.forEach(t -> command.add(Long.toString(t)));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return 0;
            }
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        return (int) tids.stream().filter(t -> threadNice(t).orElse(Integer.MIN_VALUE) == target).count();
    }

    private static OptionalInt niceOf(Path stat) {
        try {
            String s = Files.readString(stat);
            // the fields after the name (which may hold spaces) in parentheses; nice is field 19
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return OptionalInt.of(Integer.parseInt(f[16]));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }
}
