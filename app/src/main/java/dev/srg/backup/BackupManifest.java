package dev.srg.backup;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;

/**
 * The first entry of a backup ({@value BackupArchive#MANIFEST}): what it is of, read before
 * anything is restored.
 *
 * @param format this layout's version ({@link BackupArchive#FORMAT})
 * @param schema the newest migration of the database backed up: a srg that does not know it refuses the restore
 * @param postgresMajor the embedded PostgreSQL's major version: a base backup opens only with the same
 * @param keyIncluded whether the data-source key is in the backup ({@code srg backup --with-key}); else the
 *     operator keeps it apart and gives it to the restore
 * @param keyFingerprint which key opens the backup's secrets (SHA-256 of a label and the key, the first 16
 *     bytes): the restore checks the key it is given against it
 * @param settings the server's settings that a restored server needs the same (config-file keys)
 */
public record BackupManifest(int format, Instant takenAt, String schema, int postgresMajor, String serverId,
                             boolean keyIncluded, String keyFingerprint, Map<String, String> settings) {
    public BackupManifest {
        requireNonNull(takenAt, "takenAt is null");
        requireNonNull(schema, "schema is null");
        requireNonNull(keyFingerprint, "keyFingerprint is null");
        settings = settings == null ? Map.of() : Map.copyOf(settings);
    }
}
