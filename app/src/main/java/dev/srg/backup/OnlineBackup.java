package dev.srg.backup;

import static java.util.Objects.requireNonNull;

import dev.srg.error.SrgException;
import dev.srg.store.BaseBackup;
import dev.srg.store.EmbeddedPostgres;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backup of a running server ({@code POST /api/v1/admin/backups}, {@code srg backup}): its
 * embedded PostgreSQL copied consistently while it serves ({@link BaseBackup}), that database's
 * password, the files its settings name, and — only when asked — the data-source key
 * ({@link BackupArchive} for the layout). One at a time.
 */
public final class OnlineBackup {
    private static final Logger LOG = LoggerFactory.getLogger(OnlineBackup.class);

    /** What is backed up besides the database. */
    public record Sources(Path runtimeDir, Path keyFile, String schema, String serverId, Path regionsFile,
                          Map<String, String> settings) {
        public Sources {
            requireNonNull(runtimeDir, "runtimeDir is null");
            requireNonNull(keyFile, "keyFile is null");
            requireNonNull(schema, "schema is null");
            settings = settings == null ? Map.of() : Map.copyOf(settings);
        }
    }

    private final EmbeddedPostgres postgres;
    private final Sources sources;
    private final Clock clock;
    private final Semaphore one = new Semaphore(1);

    /** @param postgres the embedded PostgreSQL, or null for a server on an external database (refused: its tools back it up) */
    public OnlineBackup(EmbeddedPostgres postgres, Sources sources, Clock clock) {
        this.postgres = postgres;
        this.sources = requireNonNull(sources, "sources is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Begins a backup: refused (409) before anything is written when this server's database is external or
     * another backup runs; the caller then {@link Started#writeTo writes} it and closes it.
     */
    public Started begin() {
        if (postgres == null) {
            throw SrgException.conflict("Backup.ExternalDatabase", "this server's database is external (--database-url):"
                    + " back it up with that database's own tools (pg_dump -Fc, a snapshot) and keep the data-source key "
                    + sources.keyFile() + " apart from it (docs/upgrading.md, \"Backup and restore\")");
        }
        if (!one.tryAcquire()) {
            throw SrgException.conflict("Backup.InProgress", "a backup of this server is being taken; try again when it is done");
        }
        return new Started();
    }

    /** A backup under way: holds the one-at-a-time permit until closed. */
    public final class Started implements AutoCloseable {
        private boolean closed;

        private Started() {}

        /**
         * Writes the whole backup to {@code out}; the end entry last (an interrupted write leaves a
         * stream that {@link BackupArchive#verify} refuses). Does not close {@code out}.
         */
        public BackupEnd writeTo(boolean withKey, OutputStream out) throws IOException, SQLException {
            long began = System.nanoTime();
            byte[] key = Files.readAllBytes(sources.keyFile());
            Map<String, String> settings = new LinkedHashMap<>(sources.settings());
            if (sources.regionsFile() != null) {
                settings.put("regions", BackupArchive.SETTINGS + "regions.json");
            }
            BackupManifest manifest = new BackupManifest(BackupArchive.FORMAT, clock.instant(), sources.schema(),
                    postgresMajor(), sources.serverId(), withKey, fingerprint(key), settings);
            BackupArchive.Writer archive = new BackupArchive.Writer(out);
            archive.json(BackupArchive.MANIFEST, manifest);
            archive.bytes(BackupArchive.PASSWORD, Files.readAllBytes(sources.runtimeDir().resolve("postgres.password")));
            if (withKey) {
                archive.bytes(BackupArchive.KEY, key);
            }
            if (sources.regionsFile() != null) {
                archive.bytes(BackupArchive.SETTINGS + "regions.json", Files.readAllBytes(sources.regionsFile()));
            }
            archive.directory("postgres");
            BaseBackup.Taken taken = BaseBackup.take(postgres, "srg backup " + manifest.takenAt(),
                    archive.under(BackupArchive.POSTGRES));
            BackupEnd end = archive.finish(taken);
            LOG.info("backup taken in {} ms: {} entries, {} bytes, the database as of WAL {} ({} segments){}",
                    (System.nanoTime() - began) / 1_000_000, end.entries(), end.bytes(), end.stopLsn(), end.walSegments(),
                    withKey ? ", the data-source key included" : "");
            return end;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                one.release();
            }
        }
    }

    private int postgresMajor() throws IOException {
        return Integer.parseInt(Files.readString(postgres.dataDirectory().resolve("PG_VERSION")).strip());
    }

    /** Which key a backup's secrets are sealed with, without the key: SHA-256 of a label and its file, 16 bytes. */
    public static String fingerprint(byte[] keyFile) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("srg data-source key\0".getBytes(StandardCharsets.UTF_8));
            d.update(new String(keyFile, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
