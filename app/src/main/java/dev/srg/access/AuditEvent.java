package dev.srg.access;

import java.time.Instant;

/**
 * One line of the audit log: who did what, when, with which result (ACC-5). {@code action} is the
 * stable text (a request line or a named action); {@code actionName} the same for a person to read.
 */
public record AuditEvent(String id, Instant time, String actor, String action, String resourceId, String result,
                         String detail, String actionName) {}
