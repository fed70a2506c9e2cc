package dev.srg.execution.local;

/**
 * The uid and gid one task runs as, of its own: no other task that may still have a process runs
 * as them, so the kernel keeps tasks apart (files, /proc/pid/environ, kill(2), RLIMIT_NPROC).
 * The ids need not exist in /etc/passwd: setpriv takes numbers.
 */
record TaskIdentity(long uid, long gid) {

    TaskIdentity {
        if (uid <= 0 || gid <= 0) {
            throw new IllegalArgumentException("a task never runs as root: uid " + uid + ", gid " + gid);
        }
    }

    /** As written to the instance directory: {@code "<uid> <gid>"}. */
    String format() {
        return uid + " " + gid + "\n";
    }

    static TaskIdentity parse(String content) {
        String[] parts = content.trim().split("\\s+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("not a task identity: " + content.strip());
        }
        return new TaskIdentity(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }
}
