package dev.srg.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.store.BaseBackup;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The backup file's own guarantee: only a whole, unchanged file reads as a backup. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BackupArchiveTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("a backup cut at any byte is refused as incomplete; one byte changed anywhere in an entry is refused as damaged")
    void onlyAWholeFileIsABackup() throws Exception {
        byte[] whole = archive("abcdefghij");
        Path file = dir.resolve("b.tar");
        Files.write(file, whole);
        BackupArchive.Checked checked = BackupArchive.verify(file);
        assertThat(checked.manifest().schema()).isEqualTo("44.1");
        assertThat(checked.end().entries()).isEqualTo(6);
        List<String> names = new ArrayList<>();
        BackupArchive.read(file, (name, directory, size, content) -> names.add(name + (directory ? "" : "=" + content.readAllBytes().length)));
        assertThat(names).containsExactly("postgres.password=6", "postgres/", "postgres/base/", "postgres/base/1=70000",
                "postgres/short=10");

        // every cut short of the end entry's last byte (the tar's own end blocks after it are padding)
        int endOfEnd = lastContentByte(whole) + 1;
        List<Integer> cuts = new ArrayList<>(List.of(endOfEnd - 1, endOfEnd - 200));
        for (int cut = 0; cut < endOfEnd; cut += cut < 2048 ? 97 : 4099) {
            cuts.add(cut);
        }
        for (int cut : cuts) {
            Files.write(file, java.util.Arrays.copyOf(whole, cut));
            assertThatThrownBy(() -> BackupArchive.verify(file)).as("cut at " + cut)
                    .isInstanceOf(BackupArchive.NotABackupException.class);
        }
        // a byte of an entry's contents changed: its digest says so
        Random random = new Random(7);
        int contentsAt = indexOf(whole, "abcdefghij".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 5; i++) {
            byte[] damaged = whole.clone();
            int at = contentsAt + random.nextInt(10);
            damaged[at] ^= 0x20;
            Files.write(file, damaged);
            assertThatThrownBy(() -> BackupArchive.verify(file)).isInstanceOf(BackupArchive.NotABackupException.class)
                    .hasMessageContaining("damaged");
        }
    }

    @Test
    @DisplayName("a file shorter when copied than its size said is padded with zeros, as pg_basebackup does; a tar of another kind is refused")
    void shrunkFilesArePaddedAndOtherTarsRefused() throws Exception {
        Path file = dir.resolve("b.tar");
        // said to be 10 bytes, only 3 left when read (a relation truncated during the copy)
        Files.write(file, archive("abc"));
        byte[][] shortOne = new byte[1][];
        BackupArchive.read(file, (name, directory, size, content) -> {
            if (name.equals("postgres/short")) {
                shortOne[0] = content.readAllBytes();
            }
        });
        assertThat(new String(shortOne[0], StandardCharsets.UTF_8)).isEqualTo("abc\0\0\0\0\0\0\0");

        Path other = dir.resolve("other.tar");
        try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(other))) {
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("etc/passwd");
            e.setSize(1);
            out.putArchiveEntry(e);
            out.write('x');
            out.closeArchiveEntry();
        }
        assertThatThrownBy(() -> BackupArchive.verify(other)).isInstanceOf(BackupArchive.NotABackupException.class)
                .hasMessageContaining("not a srg backup");
    }

    /** A small backup: a manifest, a password, a directory, a 70 kB file and one said to be 10 bytes holding {@code shortFile}. */
    private static byte[] archive(String shortFile) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BackupArchive.Writer w = new BackupArchive.Writer(out);
        w.json(BackupArchive.MANIFEST, new BackupManifest(BackupArchive.FORMAT, Instant.parse("2026-12-03T06:00:00Z"), "44.1", 17,
                "srv-0123456789ab", false, "00ff", Map.of("simulated-clock", "false")));
        w.bytes(BackupArchive.PASSWORD, "secret".getBytes(StandardCharsets.UTF_8));
        w.directory("postgres");
        BaseBackup.Sink pg = w.under(BackupArchive.POSTGRES);
        pg.directory("base");
        byte[] big = new byte[70_000];
        new Random(1).nextBytes(big);
        pg.file("base/1", big.length, new ByteArrayInputStream(big));
        pg.file("short", 10, new ByteArrayInputStream(shortFile.getBytes(StandardCharsets.UTF_8)));
        w.finish(new BaseBackup.Taken("0/2000028", "0/2000100", 1, 2));
        return out.toByteArray();
    }

    /** Where the end entry's last byte is: the tar's end blocks and its record's padding (zeros) come after. */
    private static int lastContentByte(byte[] tar) {
        int i = tar.length - 1;
        while (tar[i] == 0) {
            i--;
        }
        return i;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
