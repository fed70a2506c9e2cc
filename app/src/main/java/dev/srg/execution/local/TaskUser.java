package dev.srg.execution.local;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The unprivileged user tasks run as when the server runs as root. Tasks never run as root.
 */
record TaskUser(String name, int uid, int gid) {

    private static final Path PASSWD = Path.of("/etc/passwd");

    TaskUser {
        requireNonNull(name, "name is null");
        if (uid == 0) {
            throw new IllegalArgumentException("task user " + name + " is root");
        }
    }

    /**
     * The user to run tasks as: empty when the server is not root (tasks run as the server's user,
     * which is then unprivileged), else {@code name}, created as a system user if it does not exist.
     */
    static Optional<TaskUser> forCurrentProcess(String name) {
        if (ProcFs.currentUid() != 0) {
            return Optional.empty();
        }
        Optional<TaskUser> existing = lookUp(name);
        if (existing.isPresent()) {
            return existing;
        }
        create(name);
        return Optional.of(lookUp(name)
                .orElseThrow(() -> new IllegalStateException("task user " + name + " was not created")));
    }

    private static void create(String name) {
        ProcessBuilder useradd = new ProcessBuilder(
                        "useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name)
                .redirectErrorStream(true);
        try {
            Process process = useradd.start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("useradd " + name + " did not finish");
            }
            // Another server may have created it at the same time: only a missing user is an error.
            if (process.exitValue() != 0 && lookUp(name).isEmpty()) {
                throw new IllegalStateException("useradd " + name + " failed: " + output.strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run useradd to create task user " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating task user " + name, e);
        }
    }

    private static Optional<TaskUser> lookUp(String name) {
        try {
            for (String line : Files.readAllLines(PASSWD)) {
                String[] fields = line.split(":", -1);
                if (fields.length >= 4 && fields[0].equals(name)) {
                    return Optional.of(new TaskUser(name, Integer.parseInt(fields[2]), Integer.parseInt(fields[3])));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + PASSWD, e);
        }
    }
}
