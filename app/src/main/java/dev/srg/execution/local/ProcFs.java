package dev.srg.execution.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BiConsumer;

/** What srg reads from /proc about processes: start times (pids are reused), sessions, command lines. */
final class ProcFs {

    private static final Path PROC = Path.of("/proc");

    private ProcFs() {}

    /** The start time of a live (non-zombie) process in clock ticks since boot, as in /proc/pid/stat field 22. */
    static OptionalLong startTicks(long pid) {
        String[] fields = statFields(pid);
        if (fields == null || fields[0].equals("Z") || fields[0].equals("X")) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(fields[19]));
    }

    /** The command line of a process, arguments separated by NUL; empty if it is gone. */
    static String cmdline(long pid) {
        try {
            return Files.readString(PROC.resolve(Long.toString(pid)).resolve("cmdline"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Live processes of session {@code sid} started at or after {@code notBeforeTicks}. */
    static List<Long> sessionMembers(long sid, long notBeforeTicks) {
        List<Long> members = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path entry : entries) {
                long pid = Long.parseLong(entry.getFileName().toString());
                String[] fields = statFields(pid);
                if (fields != null && !fields[0].equals("Z") && Long.parseLong(fields[3]) == sid
                        && Long.parseLong(fields[19]) >= notBeforeTicks) {
                    members.add(pid);
                }
            }
        } catch (IOException e) {
            // /proc is always there on Linux; without it there is nothing to find
        }
        return members;
    }

    /** Live (non-zombie) processes any of whose uids (real, effective, saved, filesystem) is {@code uid}. */
    static List<Long> liveProcessesOfUid(long uid) {
        List<Long> found = new ArrayList<>();
        forEachLiveProcess((pid, uids) -> {
            if (uids.contains(uid)) {
                found.add(pid);
            }
        });
        return found;
    }

    /** Every uid some live (non-zombie) process runs as. */
    static Set<Long> liveUids() {
        Set<Long> found = new HashSet<>();
        forEachLiveProcess((pid, uids) -> found.addAll(uids));
        return found;
    }

    /**
     * Calls {@code action} with the pid and uids of each live process, from /proc/pid/status: the
     * owner of /proc/pid is root for a process that made itself non-dumpable, the status is not.
     */
    private static void forEachLiveProcess(BiConsumer<Long, Set<Long>> action) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path entry : entries) {
                List<String> status;
                try {
                    status = Files.readAllLines(entry.resolve("status"), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    continue; // gone meanwhile
                }
                boolean zombie = false;
                Set<Long> uids = new HashSet<>();
                for (String line : status) {
                    if (line.startsWith("State:")) {
                        String state = line.substring(6).trim();
                        zombie = state.startsWith("Z") || state.startsWith("X");
                    } else if (line.startsWith("Uid:")) {
                        for (String field : line.substring(4).trim().split("\\s+")) {
                            uids.add(Long.parseLong(field));
                        }
                    }
                }
                if (!zombie && !uids.isEmpty()) {
                    action.accept(Long.parseLong(entry.getFileName().toString()), uids);
                }
            }
        } catch (IOException e) {
            // /proc is always there on Linux; without it there is nothing to find
        }
    }

    /** The effective uid of this process. */
    static int currentUid() {
        try {
            return (Integer) Files.getAttribute(PROC.resolve("self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot determine the uid of this process", e);
        }
    }

    /** Fields of /proc/pid/stat from field 3 (state) on, or null if the process is gone. */
    private static String[] statFields(long pid) {
        String stat;
        try {
            stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces and parentheses.
        return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    }
}
