package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.error.SrgException;
import dev.srg.quantity.ComputeUnits;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * One resource group driven through random events by the lifecycle's pure deciders, with no
 * database: the decisions are applied to an in-memory {@link GroupState} ({@link LifecycleDecision#applyTo},
 * which also checks each change's compare-and-set), its orders kept in a list, and the background
 * job run after every advance of time in the order {@link ResourceGroupLifecycle#runDue} runs it.
 * After every event the chosen invariants — the SPEC rules written out again here, plainly — are
 * checked.
 */
final class LifecycleSimulation {
    static final LifecycleConfig CONFIG = LifecycleConfig.DEFAULTS;
    static final Instant T0 = Instant.parse("2026-01-31T10:00:00Z");

    /** What each property checks. */
    enum Invariant {
        /** RG-3, RG-9: a subscription's paid-through time equals the sum of its orders' periods. */
        PAID_THROUGH,
        /** RG-3: an auto-renewing subscription is renewed once per month, 24 h before it expires, never late. */
        AUTO_RENEW_ONCE_BEFORE_EXPIRY,
        /** RG-7: a pay-as-you-go group freezes after exactly 7 idle days, never while active. */
        FREEZE_AFTER_IDLE_DAYS,
        /** RG-8: an expired group is released exactly after the retention, never before. */
        RELEASE_AFTER_RETENTION,
        /** RG-5: scaling in below what runs is accepted with a warning and stops nothing. */
        SCALE_IN_NEVER_KILLS,
        /**
         * BEY-6: a task submitted to a FROZEN group resumes it exactly when it is pay-as-you-go and
         * opted in (RUNNING, its idle window anew, nothing bought); otherwise it stays as it was.
         */
        RESUME_ON_DEMAND
    }

    /** The group bought at T0. */
    record Purchase(BillingMode mode, long cu, BillingCycle cycle, boolean autoRenew) {}

    sealed interface Event {}

    record Scale(long cu) implements Event {}

    record Convert(BillingCycle cycle, boolean autoRenew, Long cu) implements Event {}

    record Renew(BillingCycle cycle) implements Event {}

    record SetAutoRenew(boolean on) implements Event {}

    record Advance(Duration by) implements Event {}

    record Enable() implements Event {}

    record Unsubscribe() implements Event {}

    record TaskStart(long milliCu) implements Event {}

    record TaskEnd() implements Event {}

    /** The job runs again at the same time: nothing more may happen (idempotent). */
    record RunJobAgain() implements Event {}

    /** A task is submitted to the group; the group opted in to resume on demand or not (BEY-6). */
    record Submit(boolean optedIn) implements Event {}

    static Purchase purchase(Random r) {
        boolean subscription = r.nextInt(3) > 0;
        BillingCycle cycle = cycle(r);
        return subscription ? new Purchase(BillingMode.SUBSCRIPTION, 2 + r.nextInt(30), cycle, r.nextBoolean())
                : new Purchase(BillingMode.PAY_AS_YOU_GO, 1 + r.nextInt(30), null, false);
    }

    static BillingCycle cycle(Random r) {
        return r.nextInt(5) > 0 ? new BillingCycle(BillingCycle.Unit.MONTH, 1 + r.nextInt(3))
                : new BillingCycle(BillingCycle.Unit.YEAR, 1);
    }

    /** Time moves in steps of every scale: seconds (transitions), hours, days (freeze, expiry), months. */
    static Event event(Random r) {
        int pick = r.nextInt(31);
        if (pick < 12) {
            Duration by = switch (r.nextInt(4)) {
                case 0 -> Duration.ofSeconds(1 + r.nextInt(120));
                case 1 -> Duration.ofMinutes(30 + r.nextInt(48 * 60));
                case 2 -> Duration.ofHours(24 + r.nextInt(10 * 24));
                default -> Duration.ofDays(10 + r.nextInt(60));
            };
            return new Advance(by);
        }
        return switch (pick) {
            case 12, 13 -> new Scale(2 + r.nextInt(30));
            case 14 -> new Convert(cycle(r), r.nextBoolean(), r.nextBoolean() ? null : 2L + r.nextInt(30));
            case 15 -> new Renew(cycle(r));
            case 16, 17 -> new SetAutoRenew(r.nextBoolean());
            case 18, 19 -> new Enable();
            // rarely: it ends the sequence's interesting part
            case 20 -> r.nextInt(5) == 0 ? new Unsubscribe() : new Advance(Duration.ofDays(1 + r.nextInt(20)));
            case 21, 22, 23, 24 -> new TaskStart((1 + r.nextInt(16)) * 250L);
            case 25, 26, 27 -> new TaskEnd();
            case 28 -> new Submit(r.nextBoolean());
            default -> new RunJobAgain();
        };
    }

    private final LifecycleDeciders deciders;
    private final Set<Invariant> checked;
    Instant now = T0;
    GroupState group;
    final List<dev.srg.group.Purchase> orders = new ArrayList<>();
    /** Orders of renewals made while the group was EXPIRED: their period starts at the renewal, after a gap. */
    private final Set<dev.srg.group.Purchase> renewedWhileExpired = new HashSet<>();
    private final List<Long> running = new ArrayList<>();
    private Instant lastActivity;
    private Instant expiredAt;
    /** Whether the last event ran the job: the "not later than the job" checks hold right after it. */
    private boolean jobJustRan;

    LifecycleSimulation(LifecycleDeciders deciders, Purchase p, Set<Invariant> checked) {
        this.deciders = deciders;
        this.checked = EnumSet.copyOf(checked);
        boolean subscription = p.mode() == BillingMode.SUBSCRIPTION;
        ComputeUnits cu = ComputeUnits.ofCu(p.cu());
        // provisioned at once: the model starts RUNNING, its idle window from T0
        group = new GroupState("rg-sim", GroupStatus.RUNNING, p.mode(), subscription ? cu : null, subscription ? null : cu, null, null,
                p.cycle(), p.autoRenew(), subscription ? p.cycle().addTo(T0) : null, T0, null);
        ResourceGroupInfo info = new ResourceGroupInfo("rg-sim", "sim", null, GroupStatus.CREATING, p.mode(), group.specCu(),
                group.maxCu(), "r", "z", List.of(), p.cycle(), subscription ? p.autoRenew() : null, group.expiresAt(), 50, T0, T0,
                List.of());
        orders.add(LifecycleDecider.created(info, "buyer"));
        check();
    }

    void apply(Event e) {
        jobJustRan = false;
        switch (e) {
            case Scale s -> {
                ComputeUnits spec = ComputeUnits.ofCu(s.cu());
                long used = used();
                GroupState before = group;
                LifecycleDecision d = attempt(() -> deciders.scale(group, spec, 0, used, "user", now));
                if (checked.contains(Invariant.SCALE_IN_NEVER_KILLS) && before.status() == GroupStatus.RUNNING
                        && before.billingMode() == BillingMode.SUBSCRIPTION && !spec.equals(before.specCu())) {
                    // SPEC RG-5: accepted whatever runs; below the usage a warning, and every task runs on
                    assertThat(d).as("SPEC RG-5: scaling %s to %s with %s in use was refused", before.specCu(), spec,
                            ComputeUnits.ofMilli(used)).isNotNull();
                    assertThat(!d.warnings().isEmpty()).as("SPEC RG-5: a warning exactly when below the usage")
                            .isEqualTo(spec.milli() < used);
                    assertThat(d.purchases()).singleElement().satisfies(o -> assertThat(o.type())
                            .isEqualTo(spec.compareTo(before.specCu()) > 0 ? PurchaseType.SCALE_OUT : PurchaseType.SCALE_IN));
                }
                int runningBefore = running.size();
                apply(d);
                assertThat(running).as("SPEC RG-5: no task is stopped by a scale").hasSize(runningBefore);
            }
            case Convert c -> apply(attempt(() -> deciders.convert(group, c.cu() == null ? null : ComputeUnits.ofCu(c.cu()),
                    c.cycle(), c.autoRenew(), 0, "user", now)));
            case Renew r -> {
                boolean expired = group.status() == GroupStatus.EXPIRED;
                LifecycleDecision d = attempt(() -> deciders.renew(group, r.cycle(), "user", now));
                if (d != null && expired) {
                    renewedWhileExpired.addAll(d.purchases());
                }
                apply(d);
            }
            case SetAutoRenew a -> apply(attempt(() -> LifecycleDecider.setAutoRenew(group, a.on(), "user", now)));
            case Enable x -> apply(attempt(() -> deciders.enable(group, "user", now)));
            case Submit sub -> {
                GroupState before = group;
                int ordersBefore = orders.size();
                LifecycleDecision d = attempt(() -> deciders.resumeOnDemand(group, sub.optedIn(), "i-sim", now));
                apply(d);
                if (checked.contains(Invariant.RESUME_ON_DEMAND)) {
                    boolean resumes = before.status() == GroupStatus.FROZEN && sub.optedIn()
                            && before.billingMode() == BillingMode.PAY_AS_YOU_GO;
                    // SPEC BEY-6
                    assertThat(group.status()).as("SPEC BEY-6: %s, opted in %s, after a submission", before.status(), sub.optedIn())
                            .isEqualTo(resumes ? GroupStatus.RUNNING : before.status());
                    assertThat(orders).as("SPEC BEY-6: resuming buys nothing").hasSize(ordersBefore);
                    if (resumes) {
                        assertThat(group.activeSince()).as("SPEC RG-7: the idle window starts anew").isEqualTo(now);
                        assertThat(d.audit()).singleElement().satisfies(a -> assertThat(a.action())
                                .isEqualTo("resource-group.resume-on-demand"));
                    }
                }
            }
            case Unsubscribe x -> {
                LifecycleDecision d = attempt(() -> deciders.release(group, "user", now));
                apply(d);
                if (d != null) {
                    // the applier tries to finish the release at once
                    apply(deciders.released(group, running.size(), now));
                }
            }
            case TaskStart t -> {
                if (group.status().admitsTasks() && used() + t.milliCu() <= capacity()) {
                    running.add(t.milliCu());
                }
            }
            case TaskEnd x -> {
                if (!running.isEmpty()) {
                    running.removeFirst();
                    lastActivity = now;
                }
            }
            case Advance a -> {
                now = now.plus(a.by());
                runJob();
            }
            case RunJobAgain x -> {
                runJob();
                int ordersBefore = orders.size();
                GroupState before = group;
                runJob();
                assertThat(orders).as("a second run at the same time orders nothing").hasSize(ordersBefore);
                assertThat(group).as("a second run at the same time changes nothing").isEqualTo(before);
            }
        }
        check();
    }

    /** The background job, in {@link ResourceGroupLifecycle#runDue}'s order. */
    private void runJob() {
        jobJustRan = true;
        apply(deciders.completeTransition(group, now));
        apply(deciders.autoRenew(group, now));
        GroupState beforeExpiry = group;
        apply(deciders.expire(group, now));
        if (group.status() == GroupStatus.EXPIRED && beforeExpiry.status() != GroupStatus.EXPIRED) {
            expiredAt = now;
        }
        GroupState beforeRelease = group;
        apply(deciders.releaseAfterRetention(group, now));
        if (checked.contains(Invariant.RELEASE_AFTER_RETENTION) && beforeRelease.status() == GroupStatus.EXPIRED
                && group.status() == GroupStatus.RELEASING) {
            // SPEC RG-8: never before the retention is over
            assertThat(now).as("SPEC RG-8: released before the retention after expiry at %s", group.expiresAt())
                    .isAfterOrEqualTo(group.expiresAt().plus(CONFIG.retention()));
        }
        if (group.status() == GroupStatus.RELEASING) {
            apply(deciders.released(group, running.size(), now));
        }
        Instant activity = running.isEmpty() ? lastActivity : now;
        GroupState beforeFreeze = group;
        apply(deciders.freeze(group, activity, activity == null ? null : "tasks", now));
        if (checked.contains(Invariant.FREEZE_AFTER_IDLE_DAYS) && beforeFreeze.status() == GroupStatus.RUNNING
                && group.status() == GroupStatus.FROZEN) {
            // SPEC RG-7: never while active, never before 7 idle days
            assertThat(running).as("SPEC RG-7: frozen while tasks run").isEmpty();
            assertThat(now).as("SPEC RG-7: frozen before 7 idle days (idle since %s)", idleSince(beforeFreeze))
                    .isAfterOrEqualTo(idleSince(beforeFreeze).plus(LifecycleConfig.FREEZE_AFTER));
        }
        if (group.status() == GroupStatus.RELEASING) {
            apply(deciders.released(group, running.size(), now));
        }
    }

    private Instant idleSince(GroupState g) {
        Instant since = g.activeSince();
        return lastActivity != null && lastActivity.isAfter(since) ? lastActivity : since;
    }

    private void apply(LifecycleDecision d) {
        if (d == null) {
            return;
        }
        group = d.applyTo(group, now);
        orders.addAll(d.purchases());
        if (group.status() == GroupStatus.RELEASED) {
            assertThat(running).as("SPEC RG-8: RELEASED while tasks run").isEmpty();
        }
    }

    /** A refused action (a 4xx) leaves everything as it was; anything else is a failure. */
    private static LifecycleDecision attempt(java.util.function.Supplier<LifecycleDecision> action) {
        try {
            return action.get();
        } catch (SrgException refused) {
            return null;
        }
    }

    private long used() {
        return running.stream().mapToLong(Long::longValue).sum();
    }

    private long capacity() {
        ComputeUnits c = group.billingMode() == BillingMode.SUBSCRIPTION ? group.specCu() : group.maxCu();
        return c == null ? 0 : c.milli();
    }

    private void check() {
        if (checked.contains(Invariant.PAID_THROUGH)) {
            checkPaidThrough();
        }
        if (checked.contains(Invariant.AUTO_RENEW_ONCE_BEFORE_EXPIRY)) {
            checkAutoRenewals();
        }
        if (checked.contains(Invariant.FREEZE_AFTER_IDLE_DAYS) && jobJustRan
                && group.status() == GroupStatus.RUNNING && group.billingMode() == BillingMode.PAY_AS_YOU_GO) {
            // SPEC RG-7: after the job, an idle group is frozen exactly once 7 days have passed
            boolean idleLongEnough = running.isEmpty() && !idleSince(group).plus(LifecycleConfig.FREEZE_AFTER).isAfter(now);
            assertThat(idleLongEnough).as("SPEC RG-7: idle since %s and not frozen at %s", idleSince(group), now).isFalse();
        }
        if (checked.contains(Invariant.RELEASE_AFTER_RETENTION) && jobJustRan
                && group.status() == GroupStatus.EXPIRED) {
            // SPEC RG-8: after the job, an expired group is released once the retention is over
            assertThat(group.expiresAt().plus(CONFIG.retention())).as("SPEC RG-8: still EXPIRED at %s", now).isAfter(now);
            assertThat(expiredAt).as("SPEC RG-8: expired before its expiry").isAfterOrEqualTo(group.expiresAt());
        }
    }

    /** SPEC RG-3, RG-9: the periods bought tile the paid time; the last ends at the expiry. */
    private void checkPaidThrough() {
        int from = 0;
        for (int i = 0; i < orders.size(); i++) {
            if (orders.get(i).type() == PurchaseType.CONVERT) {
                from = i;
            }
        }
        // the subscription's periods: from its purchase, or from its conversion
        List<dev.srg.group.Purchase> periods = orders.subList(from, orders.size()).stream()
                .filter(o -> o.periodEnd() != null && o.type() != PurchaseType.SCALE_OUT && o.type() != PurchaseType.SCALE_IN)
                .toList();
        boolean subscription = group.billingMode() == BillingMode.SUBSCRIPTION || group.status() == GroupStatus.CONVERTING;
        if (periods.isEmpty()) {
            assertThat(subscription).as("a subscription without a paid period").isFalse();
            assertThat(group.expiresAt()).as("a group that bought no period has no expiry").isNull();
            return;
        }
        dev.srg.group.Purchase first = periods.getFirst();
        long paid = 0;
        long gaps = 0;
        Instant end = null;
        for (dev.srg.group.Purchase o : periods) {
            assertThat(o.cycle().addTo(o.periodStart())).as("%s pays for exactly one cycle", o).isEqualTo(o.periodEnd());
            if (end != null) {
                if (renewedWhileExpired.contains(o)) {
                    assertThat(o.periodStart()).as("SPEC RG-8: a renewal after expiry starts at the renewal").isEqualTo(o.at());
                    assertThat(o.periodStart()).isAfterOrEqualTo(end);
                    gaps += Duration.between(end, o.periodStart()).toMillis();
                } else {
                    assertThat(o.periodStart()).as("SPEC RG-3: %s follows the paid period without a gap or overlap", o).isEqualTo(end);
                }
            }
            paid += Duration.between(o.periodStart(), o.periodEnd()).toMillis();
            end = o.periodEnd();
        }
        if (subscription) {
            assertThat(group.expiresAt()).as("SPEC RG-3: paid through the end of the last period").isEqualTo(end);
            assertThat(Duration.between(first.periodStart(), group.expiresAt()).toMillis())
                    .as("SPEC RG-9: paid-through time = the sum of the orders' periods (plus gaps while expired)")
                    .isEqualTo(paid + gaps);
        }
    }

    /** SPEC RG-3: once per month, 24 h before the expiry it extends, never later than the first job run after that. */
    private void checkAutoRenewals() {
        Set<Instant> starts = new HashSet<>();
        for (dev.srg.group.Purchase o : orders) {
            if (o.type() == PurchaseType.AUTO_RENEW) {
                assertThat(starts.add(o.periodStart())).as("SPEC RG-3: the period from %s renewed twice", o.periodStart()).isTrue();
                assertThat(o.at()).as("SPEC RG-3: renewed more than %s before expiry", CONFIG.autoRenewLead())
                        .isAfterOrEqualTo(o.periodStart().minus(CONFIG.autoRenewLead()));
                assertThat(o.cycle()).isEqualTo(new BillingCycle(BillingCycle.Unit.MONTH, 1));
            }
        }
        if (jobJustRan && group.autoRenew() && group.billingMode() == BillingMode.SUBSCRIPTION
                && (group.status() == GroupStatus.RUNNING || group.status() == GroupStatus.SCALING)) {
            assertThat(group.expiresAt().minus(CONFIG.autoRenewLead()))
                    .as("SPEC RG-3: due for auto-renewal and not renewed by the job at %s", now).isAfter(now);
        }
    }
}
