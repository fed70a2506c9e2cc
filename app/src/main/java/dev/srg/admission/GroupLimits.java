package dev.srg.admission;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Everything admission needs to know about a group's configuration.
 *
 * @param admitting whether the group admits new tasks at all: true only in RUNNING, SCALING or
 *     CONVERTING (SPEC RG-4); false while frozen (RG-7) or expired (RG-8)
 * @param capacityMilliCu the group's capacity {@code C}: the subscription spec or the
 *     pay-as-you-go maximum (SPEC RG-2), in milli-CU
 * @param schedulingMaxRunning how many SCHEDULING tasks may run at once, 1..200, default 50
 *     (SPEC ADM-4)
 * @param quotas per usage type; a type that is absent has {@link Quota#NONE}
 * @param budgetHold which queued tasks spent budgets hold (SPEC BEY-3); {@link BudgetHold#NONE} for none
 * @param queuePolicy how tasks of one priority are ordered: {@link QueuePolicy#ARRIVAL} (DESIGN.md's
 *     rule, the default) or {@link QueuePolicy#FAIR_SHARE} (by each workspace's share, an opt-in)
 * @param fairShare the shares' half-life and the workspaces' weights (kept under either policy)
 *
 * <p>An invalid value cannot be built: the compact constructor throws
 * {@link IllegalArgumentException} for anything {@link #validate} reports, including minimums
 * that sum above the capacity (ADM-2). So a scale-in below the sum of the minimums must be
 * refused by the API, or the minimums lowered in the same change. A maximum above the capacity
 * is allowed (see {@link Quota}).
 */
public record GroupLimits(boolean admitting, long capacityMilliCu, int schedulingMaxRunning, Map<UsageType, Quota> quotas,
                          BudgetHold budgetHold, QueuePolicy queuePolicy, FairShareSettings fairShare) {
    public static final int DEFAULT_SCHEDULING_MAX_RUNNING = 50;
    public static final int MIN_SCHEDULING_MAX_RUNNING = 1;
    public static final int MAX_SCHEDULING_MAX_RUNNING = 200;

    /** Limits no budget holds. */
    public GroupLimits(boolean admitting, long capacityMilliCu, int schedulingMaxRunning, Map<UsageType, Quota> quotas) {
        this(admitting, capacityMilliCu, schedulingMaxRunning, quotas, BudgetHold.NONE);
    }

    /** Limits ordered by arrival (DESIGN.md's rule). */
    public GroupLimits(boolean admitting, long capacityMilliCu, int schedulingMaxRunning, Map<UsageType, Quota> quotas,
                       BudgetHold budgetHold) {
        this(admitting, capacityMilliCu, schedulingMaxRunning, quotas, budgetHold, QueuePolicy.ARRIVAL);
    }

    /** Limits with the default half-life and every workspace of weight 1. */
    public GroupLimits(boolean admitting, long capacityMilliCu, int schedulingMaxRunning, Map<UsageType, Quota> quotas,
                       BudgetHold budgetHold, QueuePolicy queuePolicy) {
        this(admitting, capacityMilliCu, schedulingMaxRunning, quotas, budgetHold, queuePolicy, FairShareSettings.DEFAULT);
    }

    public GroupLimits {
        requireNonNull(quotas, "quotas is null");
        requireNonNull(fairShare, "fairShare is null");
        requireNonNull(budgetHold, "budgetHold is null");
        requireNonNull(queuePolicy, "queuePolicy is null");
        EnumMap<UsageType, Quota> copy = new EnumMap<>(UsageType.class);
        quotas.forEach((type, quota) -> copy.put(requireNonNull(type, "quota type is null"), requireNonNull(quota, "quota is null")));
        quotas = Collections.unmodifiableMap(copy);
        List<LimitViolation> violations = validate(capacityMilliCu, schedulingMaxRunning, quotas);
        if (!violations.isEmpty()) {
            StringBuilder message = new StringBuilder("invalid group limits:");
            violations.forEach(v -> message.append(' ').append(v.field()).append(" (").append(v.rule()).append("): ").append(v.message()).append(';'));
            throw new IllegalArgumentException(message.toString());
        }
    }

    /** An admitting group of the given capacity, default concurrency and no quotas. */
    public static GroupLimits of(long capacityMilliCu) {
        return new GroupLimits(true, capacityMilliCu, DEFAULT_SCHEDULING_MAX_RUNNING, Map.of());
    }

    public GroupLimits withBudgetHold(BudgetHold newBudgetHold) {
        return new GroupLimits(admitting, capacityMilliCu, schedulingMaxRunning, quotas, newBudgetHold, queuePolicy, fairShare);
    }

    public GroupLimits withQueuePolicy(QueuePolicy newQueuePolicy) {
        return new GroupLimits(admitting, capacityMilliCu, schedulingMaxRunning, quotas, budgetHold, newQueuePolicy, fairShare);
    }

    public GroupLimits withFairShare(FairShareSettings newFairShare) {
        return new GroupLimits(admitting, capacityMilliCu, schedulingMaxRunning, quotas, budgetHold, queuePolicy, newFairShare);
    }

    public Quota quota(UsageType type) {
        return quotas.getOrDefault(type, Quota.NONE);
    }

    public long minimumsMilliCu() {
        long sum = 0;
        for (Quota quota : quotas.values()) {
            sum += quota.minMilliCu();
        }
        return sum;
    }

    /**
     * The most CU one task of this type can ever take under these limits, even in an idle group:
     * its maximum quota, and the capacity less the other types' minimums (which it may not eat
     * into, SPEC ADM-6). A larger task could only wait (the ledger's
     * {@link QueuedTaskInfo#fitsWhenIdle()} is false for it), so a submission refuses it.
     */
    public long largestTaskMilliCu(UsageType type) {
        Quota quota = quota(type);
        return Math.min(quota.maxMilliCu(), capacityMilliCu - (minimumsMilliCu() - quota.minMilliCu()));
    }

    public GroupLimits withAdmitting(boolean newAdmitting) {
        return new GroupLimits(newAdmitting, capacityMilliCu, schedulingMaxRunning, quotas, budgetHold, queuePolicy, fairShare);
    }

    public GroupLimits withCapacity(long newCapacityMilliCu) {
        return new GroupLimits(admitting, newCapacityMilliCu, schedulingMaxRunning, quotas, budgetHold, queuePolicy, fairShare);
    }

    public GroupLimits withSchedulingMaxRunning(int newSchedulingMaxRunning) {
        return new GroupLimits(admitting, capacityMilliCu, newSchedulingMaxRunning, quotas, budgetHold, queuePolicy, fairShare);
    }

    public GroupLimits withQuota(UsageType type, Quota quota) {
        EnumMap<UsageType, Quota> changed = new EnumMap<>(UsageType.class);
        changed.putAll(quotas);
        changed.put(type, quota);
        return new GroupLimits(admitting, capacityMilliCu, schedulingMaxRunning, changed, budgetHold, queuePolicy, fairShare);
    }

    /**
     * Every violation of these would-be limits (empty when valid), each naming its field:
     * {@code capacity}, {@code schedulingMaxRunning} or {@code quotas}. Validate each raw quota
     * first with {@link Quota#validate}.
     */
    public static List<LimitViolation> validate(long capacityMilliCu, int schedulingMaxRunning, Map<UsageType, Quota> quotas) {
        List<LimitViolation> violations = new ArrayList<>(2);
        if (capacityMilliCu < 0) {
            violations.add(new LimitViolation("capacity", "RG-2", "the capacity must not be negative"));
        } else if (capacityMilliCu % GroupLedger.GRANULARITY_MILLI_CU != 0) {
            violations.add(new LimitViolation("capacity", "RG-2", "the capacity must be a multiple of 0.25 CU"));
        }
        if (schedulingMaxRunning < MIN_SCHEDULING_MAX_RUNNING || schedulingMaxRunning > MAX_SCHEDULING_MAX_RUNNING) {
            violations.add(new LimitViolation("schedulingMaxRunning", "ADM-4", "the scheduling concurrency must be between "
                    + MIN_SCHEDULING_MAX_RUNNING + " and " + MAX_SCHEDULING_MAX_RUNNING + ", was " + schedulingMaxRunning));
        }
        long minimums = 0;
        for (Quota quota : quotas.values()) {
            minimums += quota.minMilliCu();
        }
        if (minimums > capacityMilliCu) {
            violations.add(new LimitViolation("quotas", "ADM-2", "the minimums sum to " + LimitViolation.cu(minimums)
                    + ", above the capacity " + LimitViolation.cu(capacityMilliCu)));
        }
        return violations;
    }
}
