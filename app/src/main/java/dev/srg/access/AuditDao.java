package dev.srg.access;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.SqlStatement;

/** SQL for the audit log. */
final class AuditDao {
    private final Handle h;

    AuditDao(Handle h) {
        this.h = h;
    }

    static final String INSERT = """
            INSERT INTO audit_events (time, actor, action, resource_id, result, detail, action_name)
            VALUES (:time, :actor, :action, :resourceId, :result, :detail, :actionName)""";

    void insert(Instant time, AuditEntry e) {
        bind(h.createUpdate(INSERT), time, e).execute();
    }

    static <S extends SqlStatement<S>> S bind(S statement, Instant time, AuditEntry e) {
        return statement.bind("time", time).bind("actor", e.actor()).bind("action", e.action().text())
                .bind("actionName", e.action().readable())
                .bind("resourceId", e.resourceId()).bind("result", e.result().text()).bind("detail", e.detail());
    }

    /** Oldest first, after the id {@code after}; {@code from}, {@code to} and {@code actor} narrow when not null. */
    List<AuditEvent> list(long after, Instant from, Instant to, String actor, int limit) {
        return h.createQuery("""
                SELECT id, time, actor, action, resource_id, result, detail, action_name FROM audit_events
                WHERE id > :after
                  AND (CAST(:from AS timestamptz) IS NULL OR time >= :from)
                  AND (CAST(:to AS timestamptz) IS NULL OR time < :to)
                  AND (CAST(:actor AS text) IS NULL OR actor = :actor)
                ORDER BY id LIMIT :limit""")
                .bind("after", after).bind("from", from).bind("to", to).bind("actor", actor)
                .bind("limit", limit)
                .map((rs, ctx) -> new AuditEvent(Long.toString(rs.getLong("id")),
                        rs.getTimestamp("time").toInstant(), rs.getString("actor"), rs.getString("action"),
                        rs.getString("resource_id"), rs.getString("result"), rs.getString("detail"),
                        // entries written before V30 have no name: words from their text
                        rs.getString("action_name") != null ? rs.getString("action_name")
                                : AuditAction.nameOf(rs.getString("action"))))
                .list();
    }
}
