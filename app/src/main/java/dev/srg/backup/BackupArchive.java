package dev.srg.backup;

import static java.util.Objects.requireNonNull;

import dev.srg.json.Json;
import dev.srg.store.BaseBackup;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A srg backup: one tar file (POSIX), entries in this order:
 * <pre>
 *   srg-backup.json         {@link BackupManifest}
 *   postgres.password       the embedded PostgreSQL's password (its users are in the backup's database)
 *   datasource.key          only with --with-key: the key the data-source passwords and app secrets are sealed with
 *   settings/...            the files the server's settings name (its regions file)
 *   postgres/...            the embedded PostgreSQL's base backup ({@link BaseBackup}): data files, backup_label, WAL
 *   srg-backup-end.json     {@link BackupEnd}: how many entries, their digest; what makes the file complete
 * </pre>
 */
public final class BackupArchive {
    public static final int FORMAT = 1;
    public static final String MANIFEST = "srg-backup.json";
    public static final String END = "srg-backup-end.json";
    public static final String PASSWORD = "postgres.password";
    public static final String KEY = "datasource.key";
    public static final String SETTINGS = "settings/";
    public static final String POSTGRES = "postgres/";

    private BackupArchive() {}

    /** Writes a backup's entries to a stream, keeping their digest for the end entry. */
    public static final class Writer implements BaseBackup.Sink {
        private final TarArchiveOutputStream tar;
        private final MessageDigest digest = sha256();
        private final byte[] buffer = new byte[64 * 1024];
        private long entries;
        private long bytes;

        public Writer(OutputStream out) {
            tar = new TarArchiveOutputStream(requireNonNull(out, "out is null"), StandardCharsets.UTF_8.name());
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        /** The same archive, entries named under {@code under} (the database's files under {@value #POSTGRES}). */
        public BaseBackup.Sink under(String under) {
            Writer outer = this;
            return new BaseBackup.Sink() {
                @Override
                public void directory(String name) throws IOException {
                    outer.directory(under + name);
                }

                @Override
                public void file(String name, long size, InputStream content) throws IOException {
                    outer.file(under + name, size, content);
                }
            };
        }

        public void json(String name, Object value) throws IOException {
            bytes(name, Json.write(value).getBytes(StandardCharsets.UTF_8));
        }

        public void bytes(String name, byte[] content) throws IOException {
            file(name, content.length, new java.io.ByteArrayInputStream(content));
        }

        @Override
        public void directory(String name) throws IOException {
            String n = name + "/";
            TarArchiveEntry e = new TarArchiveEntry(n);
            e.setMode(0700);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
            entry(n, 0);
        }

        @Override
        public void file(String name, long size, InputStream content) throws IOException {
            String n = name;
            TarArchiveEntry e = new TarArchiveEntry(n);
            e.setSize(size);
            e.setMode(0600);
            tar.putArchiveEntry(e);
            entry(n, size);
            long left = size;
            while (left > 0) {
                int r = content.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (r < 0) {
                    // shorter now than when its size was read: zeros, as pg_basebackup pads (the WAL repairs it)
                    java.util.Arrays.fill(buffer, (byte) 0);
                    while (left > 0) {
                        int z = (int) Math.min(buffer.length, left);
                        tar.write(buffer, 0, z);
                        digest.update(buffer, 0, z);
                        left -= z;
                    }
                    break;
                }
                tar.write(buffer, 0, r);
                digest.update(buffer, 0, r);
                left -= r;
            }
            tar.closeArchiveEntry();
            bytes += size;
        }

        private void entry(String name, long size) {
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(Long.toString(size).getBytes(StandardCharsets.US_ASCII));
            digest.update((byte) 0);
            entries++;
        }

        /** Writes the end entry and the tar's end: only now is the backup complete. */
        public BackupEnd finish(BaseBackup.Taken taken) throws IOException {
            BackupEnd end = new BackupEnd(entries, bytes, HexFormat.of().formatHex(digest.digest()), taken.startLsn(),
                    taken.stopLsn(), taken.walSegments());
            byte[] json = Json.write(end).getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(END);
            e.setSize(json.length);
            e.setMode(0600);
            tar.putArchiveEntry(e);
            tar.write(json);
            tar.closeArchiveEntry();
            tar.finish();
            tar.flush();
            return end;
        }
    }

    /** What a backup's entries are handed to as they are read ({@link #read}). */
    public interface Visitor {
        /** An entry before the end; {@code content} holds exactly its bytes (a directory's: none). */
        void entry(String name, boolean directory, long size, InputStream content) throws IOException;
    }

    /** A backup found complete: its manifest and its end. */
    public record Checked(BackupManifest manifest, BackupEnd end) {}

    /** Refused: not a srg backup, or not a complete one. */
    public static final class NotABackupException extends IOException {
        public NotABackupException(String message) {
            super(message);
        }
    }

    /** Reads the whole backup, checks that it is complete and unchanged, and hands no entry to anyone. */
    public static Checked verify(Path file) throws IOException {
        return read(file, (name, directory, size, content) -> { });
    }

    /**
     * Reads {@code file} through, handing every entry to {@code visitor} as it goes, and checks it
     * against its end entry. A caller that acts on the entries must treat what it did as undone when
     * this throws (the restore verifies first, then reads again to extract).
     */
    public static Checked read(Path file, Visitor visitor) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 256 * 1024)) {
            return read(raw, file.toString(), visitor);
        }
    }

    /**
     * {@link #read(Path, Visitor)} of a stream ({@code file} names it in messages): read up to the
     * end entry and the tar's end, not closed.
     */
    public static Checked read(InputStream raw, String file, Visitor visitor) throws IOException {
        MessageDigest digest = sha256();
        BackupManifest manifest = null;
        BackupEnd end = null;
        long entries = 0;
        byte[] buffer = new byte[64 * 1024];
        try {
            TarArchiveInputStream tar = new TarArchiveInputStream(raw, StandardCharsets.UTF_8.name());
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName();
                if (end != null) {
                    throw new NotABackupException(file + " has entries after its end (" + name + "): not a srg backup");
                }
                if (entries == 0 && !name.equals(MANIFEST)) {
                    throw new NotABackupException(file + " is not a srg backup: it does not begin with " + MANIFEST);
                }
                if (name.equals(END)) {
                    end = Json.STORED.readValue(tar.readAllBytes(), BackupEnd.class);
                    continue;
                }
                if (name.startsWith("/") || name.contains("..") || name.contains("\\")) {
                    throw new NotABackupException(file + " names an unsafe path: " + name);
                }
                entries++;
                digest.update(name.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(Long.toString(e.isDirectory() ? 0 : e.getSize()).getBytes(StandardCharsets.US_ASCII));
                digest.update((byte) 0);
                if (name.equals(MANIFEST)) {
                    byte[] json = tar.readAllBytes();
                    digest.update(json);
                    manifest = Json.STORED.readValue(json, BackupManifest.class);
                    if (manifest.format() != FORMAT) {
                        throw new NotABackupException(file + " is a backup of format " + manifest.format()
                                + ", which this srg does not read (it reads " + FORMAT + ")");
                    }
                    continue;
                }
                InputStream content = new InputStream() {
                    @Override
                    public int read() throws IOException {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        int r = tar.read(b, off, len);
                        if (r > 0) {
                            digest.update(b, off, r);
                        }
                        return r;
                    }
                };
                visitor.entry(name, e.isDirectory(), e.isDirectory() ? 0 : e.getSize(), content);
                while (content.read(buffer) >= 0) {
                    // what the visitor left unread still counts
                }
            }
        } catch (tools.jackson.core.JacksonException e) {
            throw new NotABackupException(file + " is not a srg backup: " + e.getOriginalMessage());
        } catch (IOException e) {
            if (e instanceof NotABackupException) {
                throw e;
            }
            throw new NotABackupException(file + " is not a complete srg backup: " + e.getMessage());
        }
        if (manifest == null) {
            throw new NotABackupException(file + " is not a srg backup: it holds no " + MANIFEST);
        }
        if (end == null) {
            throw new NotABackupException(file + " is not a complete srg backup: it ends before " + END
                    + " (the backup was cut short: taken again)");
        }
        String sha = HexFormat.of().formatHex(digest.digest());
        if (end.entries() != entries || !end.sha256().equals(sha)) {
            throw new NotABackupException(file + " is damaged: its entries do not match its end (" + entries + " entries, sha256 "
                    + sha + "; the end says " + end.entries() + ", " + end.sha256() + ")");
        }
        return new Checked(manifest, end);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
