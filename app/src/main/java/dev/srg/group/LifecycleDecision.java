package dev.srg.group;

import java.time.Instant;
import java.util.List;

/**
 * What a lifecycle decider decided (cf. kafka's {@code ControllerResult}): the changes to the
 * group's row, the orders to record, the audit entries to write — all applied in one transaction —
 * and the warnings for the caller. Empty when nothing is due.
 */
public record LifecycleDecision(List<LifecycleChange> changes, List<Purchase> purchases, List<Audit> audit, List<String> warnings) {
    public static final LifecycleDecision NONE = new LifecycleDecision(List.of(), List.of(), List.of(), List.of());

    /** One audit entry: who did what to the group, when, with a detail for readers. */
    public record Audit(Instant at, String actor, String action, String detail) {}

    public LifecycleDecision {
        changes = List.copyOf(changes);
        purchases = List.copyOf(purchases);
        audit = List.copyOf(audit);
        warnings = List.copyOf(warnings);
    }

    public boolean isEmpty() {
        return changes.isEmpty() && purchases.isEmpty();
    }

    /** The group after the changes, in memory. */
    public GroupState applyTo(GroupState g, Instant now) {
        GroupState s = g;
        for (LifecycleChange c : changes) {
            if (c.expects() != null && c.expects() != s.status()) {
                // in the store, the compare-and-set would not match: the decision was made on a stale state
                throw new IllegalStateException(c + " expects " + c.expects() + " but " + s.id() + " is " + s.status());
            }
            s = c.applyTo(s, now);
        }
        return s;
    }
}
