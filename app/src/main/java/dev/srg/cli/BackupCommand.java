package dev.srg.cli;

import dev.srg.backup.BackupArchive;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.Channels;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code srg backup --to FILE}: a backup of a running server (administrators), written to FILE only
 * once it is complete: it is received into a hidden file beside it (mode 0600 from its first byte),
 * checked against its end entry as it arrives, synced, and only then given its name. A backup cut
 * short (this command killed, the server gone, a full disk) leaves no FILE, at most that hidden
 * {@code .FILE.partial-*} (which srg restore refuses: it has no end).
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Take a backup of the server while it runs (administrators): its database, consistent, and its settings.",
            "FILE is written only once complete, mode 0600. The data-source key is NOT in it unless --with-key: keep the"
                + " server's DIR/datasource.key apart (srg restore --datasource-key)."})
final class BackupCommand extends ClientCommand {
    @Option(names = "--to", required = true, paramLabel = "FILE", description = "where the backup goes")
    Path to;

    @Option(names = "--with-key", description = "put the data-source key in FILE too: whoever reads FILE can then open every"
            + " data-source password and app secret")
    boolean withKey;

    @Option(names = "--force", description = "replace FILE if it exists (else it is refused)")
    boolean force;

    @Override
    public void run() {
        Path target = to.toAbsolutePath().normalize();
        if (Files.exists(target) && !force) {
            throw new CliException(ClientCommands.USAGE, target + " exists; choose another file or --force to replace it");
        }
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CliException(ClientCommands.USAGE, "the directory of " + target + " does not exist");
        }
        Path partial = dir.resolve("." + target.getFileName() + ".partial-" + UUID.randomUUID());
        try {
            long began = System.nanoTime();
            ApiClient.Response r = api().stream("POST", API + "/admin/backups" + (withKey ? "?includeKey=true" : ""));
            BackupArchive.Checked checked;
            try (InputStream in = r.body();
                 FileChannel file = FileChannel.open(partial, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                         StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                // checked as it is received (one pass over the bytes): everything read is written first
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(file), 256 * 1024);
                InputStream received = new FilterInputStream(new BufferedInputStream(in, 256 * 1024)) {
                    @Override
                    public int read() throws IOException {
                        int b = super.read();
                        if (b >= 0) {
                            out.write(b);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        int n = super.read(b, off, len);
                        if (n > 0) {
                            out.write(b, off, n);
                        }
                        return n;
                    }
                };
                try {
                    checked = BackupArchive.read(received, target.toString(), (name, directory, size, content) -> { });
                } catch (BackupArchive.NotABackupException e) {
                    throw new CliException(ClientCommands.FAILED, "the backup received is not complete (" + e.getMessage()
                            + "); nothing was written to " + target);
                }
                received.transferTo(OutputStream.nullOutputStream()); // the tar's end blocks, kept too
                out.flush();
                file.force(true);
            } catch (IOException e) {
                throw new CliException(ClientCommands.FAILED, "the backup was cut short (" + e.getMessage() + "); nothing was written to "
                        + target);
            }
            try {
                if (force) {
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
                } else {
                    Files.createLink(target, partial); // refuses a FILE made meanwhile
                }
                try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                    d.force(true);
                }
            } catch (FileAlreadyExistsException e) {
                throw new CliException(ClientCommands.USAGE, target + " exists; choose another file or --force to replace it");
            } catch (IOException e) {
                throw new CliException(ClientCommands.FAILED, "cannot write " + target + ": " + e.getMessage());
            }
            out().done("Backup of " + api().baseUrl() + " written to " + target + " (" + Human.bytes(Files.size(target))
                    + ", " + checked.end().entries() + " entries, in " + (System.nanoTime() - began) / 1_000_000 + " ms):"
                    + " schema " + checked.manifest().schema() + ", the database as of " + checked.manifest().takenAt()
                    + " (WAL " + checked.end().stopLsn() + "). Mode 0600: it holds the database, its password hashes and sealed secrets.");
            out().done(withKey
                    ? "WARNING: " + target + " also holds the data-source key: whoever reads it can open every data-source"
                            + " password and app secret. Keep it as you keep the key."
                    : "The data-source key is not in it: keep the server's datasource.key (fingerprint "
                            + checked.manifest().keyFingerprint() + ") apart; srg restore needs it (--datasource-key).");
        } catch (IOException e) {
            throw new CliException(ClientCommands.FAILED, "cannot write " + target + ": " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                // said by the failure already
            }
        }
    }
}
