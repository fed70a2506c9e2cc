package dev.srg.admission;

/** Use of one usage type in a group (SPEC ADM-5, MON-1, MON-2). */
public record TypeUsage(long usedMilliCu, int running, int queued, long queuedMilliCu) {}
