package dev.srg.server;

import dev.srg.backup.Restore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code srg restore}: a backup into a new data directory, with no server running there (docs/upgrading.md). */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Restore a backup taken with 'srg backup' into a new, empty data directory (no server running on it).",
            "Then start 'srg server --data-dir DIR' there. Tasks queued in the backup run once; tasks running when it was taken"
                + " are recorded LOST (they ran on the host backed up), never run again."})
public final class RestoreCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "FILE", description = "the backup file")
    Path from;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "the new data directory: absent or empty")
    Path dataDir;

    @Option(names = "--datasource-key", paramLabel = "FILE",
            description = "the data-source key of the server backed up (its DIR/datasource.key), kept apart from the backup;"
                    + " needed unless the backup was taken --with-key")
    Path keyFile;

    @Option(names = "--task-dir", paramLabel = "DIR",
            description = "the task directory the restored server will use (its --task-dir; default: DIR/instances)")
    Path taskDir;

    @Override
    public Integer call() {
        try {
            Restore.Restored r = Restore.run(from, dataDir, RuntimeDirectory::resolve, keyFile, taskDir, Clock.systemUTC());
            System.out.println("restored " + from + " (taken " + r.manifest().takenAt() + ", schema " + r.manifest().schema()
                    + ", the database as of WAL " + r.end().stopLsn() + ") into " + dataDir.toAbsolutePath().normalize());
            System.out.println(r.queued() + " queued task(s) will run once the server starts; " + r.lost().size()
                    + " task(s) running when the backup was taken are recorded LOST (not run again)"
                    + (r.adopted().isEmpty() ? "" : "; " + r.adopted().size() + " found running in the task directory (adopted)"));
            System.out.println("start it with: srg server --data-dir " + dataDir.toAbsolutePath().normalize()
                    + (r.config() == null ? "" : " --config " + r.config())
                    + "   (the administrators' tokens are those of the server backed up)");
            return 0;
        } catch (Restore.RestoreException e) {
            System.err.println("srg: restore: " + e.getMessage());
            return e.refused() ? 2 : 1;
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("srg: restore: " + e.getMessage());
            return 1;
        }
    }
}
