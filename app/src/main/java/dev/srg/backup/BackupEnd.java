package dev.srg.backup;

/**
 * The last entry of a backup ({@value BackupArchive#END}): a file without it, or whose entries do
 * not add up to it, is not a complete backup (a copy cut short by a crash, a kill, a full disk).
 *
 * @param entries how many entries come before it
 * @param sha256 of every entry before it: its name, a NUL, its size in decimal, a NUL, its bytes
 * @param startLsn where the database's copy begins in its WAL
 * @param stopLsn where it ends: the restored database is the database as it was there
 */
public record BackupEnd(long entries, long bytes, String sha256, String startLsn, String stopLsn, int walSegments) {}
