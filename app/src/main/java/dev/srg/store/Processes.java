package dev.srg.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The few operating-system facts and actions the embedded database needs (user, ownership). */
final class Processes {
    private Processes() {}

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.split("\\s+")[2])
                    .anyMatch("0"::equals);
        } catch (IOException e) {
            return false;
        }
    }

    /** The command prefix that runs what follows as {@code user} (we are root). */
    static List<String> asUser(String user) {
        return List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--clear-groups", "--");
    }

    static void ensureSystemUser(String user) throws IOException {
        if (exec(List.of("id", "-u", user)) == 0) {
            return;
        }
        int rc = exec(List.of("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                "--shell", "/usr/sbin/nologin", user));
        if (rc != 0 && exec(List.of("id", "-u", user)) != 0) {
            throw new IOException("could not create the system user '" + user + "' (useradd exit " + rc + ")");
        }
    }

    static void chown(Path path, String user, boolean recursive) throws IOException {
        List<String> cmd = recursive ? List.of("chown", "-R", user + ":" + user, path.toString())
                : List.of("chown", user + ":" + user, path.toString());
        if (exec(cmd) != 0) {
            throw new IOException("chown " + user + " " + path + " failed");
        }
    }

    private static int exec(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
