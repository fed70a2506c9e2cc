package dev.srg.access;

import static java.util.Objects.requireNonNull;

/**
 * One change to record (ACC-5): who, what, on which resource, how it ended, and a note.
 *
 * @param actor a user's name, {@code system} for the platform, or what was typed at a failed sign-in
 * @param resourceId the resource changed or created, or null
 * @param detail a short human note, or null; never a secret
 */
public record AuditEntry(String actor, AuditAction action, String resourceId, AuditResult result, String detail) {
    /** The actor of the platform's own changes (background jobs, provisioning, bootstrap). */
    public static final String SYSTEM = Principal.SYSTEM.name();
    static final int MAX_ACTOR = 64;
    static final int MAX_DETAIL = 2000;

    public AuditEntry {
        requireNonNull(actor, "actor is null");
        requireNonNull(action, "action is null");
        requireNonNull(result, "result is null");
        // an actor may be whatever was typed at the sign-in form: bounded like a user name
        actor = actor.length() <= MAX_ACTOR ? actor : actor.substring(0, MAX_ACTOR);
        detail = detail == null || detail.length() <= MAX_DETAIL ? detail : detail.substring(0, MAX_DETAIL);
    }

    /** A change the platform made itself. */
    public static AuditEntry system(AuditAction.Named action, String resourceId, String detail) {
        return new AuditEntry(SYSTEM, action, resourceId, AuditResult.OK, detail);
    }
}
