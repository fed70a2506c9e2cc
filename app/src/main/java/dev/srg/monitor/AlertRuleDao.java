package dev.srg.monitor;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** SQL of alert rules and their events (the notification outbox). */
final class AlertRuleDao {
    private static final String RULE_COLUMNS = """
            id, name, resource_group_id, metric, comparator, threshold, for_seconds, webhook_url, state, state_since,
            pending_since, last_value, last_evaluated_at, transitions, created_by, created_at""";
    private static final String EVENT_COLUMNS = """
            id, rule_id, sequence, from_state, to_state, value, threshold, time, delivery, attempts, next_attempt_at,
            delivered_at, last_error""";

    private final Handle h;

    AlertRuleDao(Handle h) {
        this.h = h;
    }

    /** A rule with what evaluation needs beyond the API view. */
    record Row(AlertRuleInfo info, Instant pendingSince, int transitions) {}

    void insert(AlertRuleInfo r) {
        h.createUpdate("""
                INSERT INTO alert_rules (id, name, resource_group_id, metric, comparator, threshold, for_seconds, webhook_url,
                    state, state_since, created_by, created_at)
                VALUES (:id, :name, :group, :metric, :comparator, :threshold, :forSeconds, :url, :state, :since, :by, :at)""")
                .bind("id", r.id()).bind("name", r.name()).bind("group", r.resourceGroupId()).bind("metric", r.metric().name())
                .bind("comparator", r.comparator().name()).bind("threshold", r.threshold()).bind("forSeconds", r.forSeconds())
                .bind("url", r.webhookUrl()).bind("state", r.state().name()).bind("since", r.stateSince())
                .bind("by", r.createdBy()).bind("at", r.createdAt())
                .execute();
    }

    Optional<Row> find(String id) {
        return h.createQuery("SELECT " + RULE_COLUMNS + " FROM alert_rules WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> rule(rs)).findOne();
    }

    List<Row> list(String groupId, String afterId, int limit) {
        return h.createQuery("SELECT " + RULE_COLUMNS + """
                 FROM alert_rules
                WHERE id > :after AND (CAST(:group AS text) IS NULL OR resource_group_id = :group)
                ORDER BY id LIMIT :limit""")
                .bind("after", afterId).bind("group", groupId).bind("limit", limit)
                .map((rs, ctx) -> rule(rs)).list();
    }

    List<Row> all() {
        return h.createQuery("SELECT " + RULE_COLUMNS + " FROM alert_rules ORDER BY id").map((rs, ctx) -> rule(rs)).list();
    }

    boolean delete(String id) {
        return h.createUpdate("DELETE FROM alert_rules WHERE id = :id").bind("id", id).execute() == 1;
    }

    /** Records an evaluation that changed no state. */
    void evaluated(String id, double value, Instant at) {
        h.createUpdate("UPDATE alert_rules SET last_value = :value, last_evaluated_at = :at WHERE id = :id")
                .bind("id", id).bind("value", value).bind("at", at).execute();
    }

    /**
     * A transition, as a compare-and-set on the rule's transition count: false when another
     * evaluation moved the rule first (then nothing is written).
     */
    boolean transition(String id, int expectedTransitions, AlertState to, Instant pendingSince, double value, Instant at) {
        return h.createUpdate("""
                UPDATE alert_rules SET state = :state, state_since = :at, pending_since = :pending, last_value = :value,
                    last_evaluated_at = :at, transitions = transitions + 1
                WHERE id = :id AND transitions = :expected""")
                .bind("id", id).bind("expected", expectedTransitions).bind("state", to.name()).bind("pending", pendingSince)
                .bind("value", value).bind("at", at).execute() == 1;
    }

    /** A transition's history entry; with a payload it is also a notification to deliver (the outbox). */
    void insertEvent(String eventId, String ruleId, int sequence, AlertState from, AlertState to, double value, double threshold,
                     Instant time, String payload) {
        h.createUpdate("""
                INSERT INTO alert_events (id, rule_id, sequence, from_state, to_state, value, threshold, time, payload,
                    delivery, next_attempt_at)
                VALUES (:id, :rule, :sequence, :from, :to, :value, :threshold, :time, :payload, :delivery, :next)""")
                .bind("id", eventId).bind("rule", ruleId).bind("sequence", sequence).bind("from", from.name())
                .bind("to", to.name()).bind("value", value).bind("threshold", threshold).bind("time", time)
                .bind("payload", payload).bind("delivery", (payload == null ? Delivery.NONE : Delivery.PENDING).name())
                .bind("next", payload == null ? null : time)
                .execute();
    }

    List<AlertEventInfo> events(String ruleId, int afterSequence, int limit) {
        return h.createQuery("SELECT " + EVENT_COLUMNS
                        + " FROM alert_events WHERE rule_id = :rule AND sequence > :after ORDER BY sequence LIMIT :limit")
                .bind("rule", ruleId).bind("after", afterSequence).bind("limit", limit)
                .map((rs, ctx) -> event(rs)).list();
    }

    /** A notification due for delivery, locked (other workers skip it), with its target. */
    record Due(String eventId, String ruleId, int attempts, String payload, String webhookUrl) {}

    Optional<Due> lockNextDue(Instant now) {
        return h.createQuery("""
                SELECT e.id, e.rule_id, e.attempts, e.payload, r.webhook_url
                FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id
                WHERE e.delivery = 'PENDING' AND e.next_attempt_at <= :now
                ORDER BY e.next_attempt_at, e.id LIMIT 1
                FOR UPDATE OF e SKIP LOCKED""")
                .bind("now", now)
                .map((rs, ctx) -> new Due(rs.getString("id"), rs.getString("rule_id"), rs.getInt("attempts"),
                        rs.getString("payload"), rs.getString("webhook_url")))
                .findOne();
    }

    Optional<Instant> nextDue() {
        return h.createQuery("SELECT min(next_attempt_at) FROM alert_events WHERE delivery = 'PENDING'")
                .mapTo(Instant.class).findOne();
    }

    void delivered(String eventId, Instant at) {
        h.createUpdate("""
                UPDATE alert_events SET delivery = 'DELIVERED', attempts = attempts + 1, delivered_at = :at,
                    next_attempt_at = NULL, last_error = NULL
                WHERE id = :id AND delivery = 'PENDING'""").bind("id", eventId).bind("at", at).execute();
    }

    void failedAttempt(String eventId, String error, Instant nextAttempt) {
        h.createUpdate("""
                UPDATE alert_events SET attempts = attempts + 1, last_error = :error,
                    next_attempt_at = :next, delivery = CASE WHEN CAST(:next AS timestamptz) IS NULL THEN 'FAILED' ELSE 'PENDING' END
                WHERE id = :id AND delivery = 'PENDING'""")
                .bind("id", eventId).bind("error", error.length() > 500 ? error.substring(0, 500) : error)
                .bind("next", nextAttempt).execute();
    }

    List<AlertState> states() {
        return h.createQuery("SELECT state FROM alert_rules").mapTo(String.class).map(AlertState::valueOf).list();
    }

    private static Row rule(ResultSet rs) throws SQLException {
        double lastValue = rs.getDouble("last_value");
        Double last = rs.wasNull() ? null : lastValue;
        AlertRuleInfo info = new AlertRuleInfo(rs.getString("id"), rs.getString("name"), rs.getString("resource_group_id"),
                AlertMetric.valueOf(rs.getString("metric")), AlertComparator.valueOf(rs.getString("comparator")),
                rs.getDouble("threshold"), rs.getInt("for_seconds"), rs.getString("webhook_url"),
                AlertState.valueOf(rs.getString("state")), instant(rs.getTimestamp("state_since")), last,
                instant(rs.getTimestamp("last_evaluated_at")), rs.getString("created_by"), instant(rs.getTimestamp("created_at")));
        return new Row(info, instant(rs.getTimestamp("pending_since")), rs.getInt("transitions"));
    }

    private static AlertEventInfo event(ResultSet rs) throws SQLException {
        Delivery delivery = Delivery.valueOf(rs.getString("delivery"));
        AlertEventInfo.Notification n = delivery == Delivery.NONE ? null : new AlertEventInfo.Notification(delivery,
                rs.getInt("attempts"), instant(rs.getTimestamp("next_attempt_at")), instant(rs.getTimestamp("delivered_at")),
                rs.getString("last_error"));
        return new AlertEventInfo(rs.getString("id"), rs.getString("rule_id"), rs.getInt("sequence"),
                AlertState.valueOf(rs.getString("from_state")), AlertState.valueOf(rs.getString("to_state")),
                rs.getDouble("value"), rs.getDouble("threshold"), instant(rs.getTimestamp("time")), n);
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
