package dev.srg.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.srg.admission.UsageType;
import dev.srg.admission.WaitReason;
import dev.srg.execution.Enforcement;
import dev.srg.execution.FailureReason;
import dev.srg.execution.WorkShape;
import dev.srg.quantity.ComputeUnits;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An instance as the API shows it. {@code type} is its kind's name and {@code shape} whether it
 * runs to completion or is a service (which has no timeout and counts its {@code restarts}).
 * {@code waitMillis} and {@code runMillis} are measured to now while it waits or runs (MON-2);
 * {@code queue} says where a queued one stands and why it waits; {@code consumption} is there once
 * it finished (MON-3); {@code enforcement} says, once launched, what its backend enforced (RT-3),
 * and {@code limitsEnforced}/{@code limitsNote} are its CPU and memory part (ADM-7). {@code payload}
 * is what ran (e.g. {@code {"script": ...}}, size-limited by its kind), only on a single instance read
 * by a member of its workspace or an administrator: scripts can say more than the metadata does.
 * {@code progress} is a sync's (DATA_INTEGRATION) progress, also kept once it finished (DI-5).
 */
public record InstanceInfo(String id, String name, String workspaceId, String resourceGroupId, String type,
                           WorkShape shape, UsageType usageType, ComputeUnits cu, int priority, Integer timeoutSeconds,
                           String imageId, InstanceStatus status, String submittedBy, Instant queuedAt, Instant startedAt,
                           Instant finishedAt, long waitMillis, Long runMillis, Integer exitCode, FailureReason failureReason,
                           Consumption consumption, Boolean limitsEnforced, String limitsNote, Enforcement enforcement,
                           int restarts, @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> warnings,
                           QueuePosition queue, @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> payload,
                           @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> progress) {
    public InstanceInfo {
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        payload = payload == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(payload));
    }

    /** What a finished instance used: CU x run time, CPU time and peak memory (MON-3). */
    public record Consumption(double cuSeconds, double cpuSeconds, Long peakMemoryBytes) {}

    /**
     * Where a queued instance stands in its group's queue (1 = next), why it waits, and when it
     * should start where that can be estimated ({@code estimate} says how, or why not). In a group
     * whose {@code queuePolicy} is FAIR_SHARE also its workspace's share of the group, its weight,
     * its weighted share (share / weight; none for weight 0), whether the idle guarantee puts it first,
     * and the workspace of the nearest task ahead of it that is of another workspace
     * (docs/rules.md#queue-policy); all left out under ARRIVAL.
     */
    public record QueuePosition(int position, WaitReason reason, Instant estimatedStartAt, String estimate,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Double workspaceShareCu,
                                @JsonInclude(JsonInclude.Include.NON_NULL) String behindWorkspaceId,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Integer workspaceWeight,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Double weightedShareCu,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Boolean idleGuarantee) {
        public QueuePosition(int position, WaitReason reason, Instant estimatedStartAt, String estimate) {
            this(position, reason, estimatedStartAt, estimate, null, null, null, null, null);
        }

        /** A queued task's place as the ledger has it, with its estimate. */
        static QueuePosition of(dev.srg.admission.QueuedTaskInfo q, Instant estimatedStartAt, String estimate) {
            dev.srg.admission.FairShareInfo f = q.fairShare();
            return new QueuePosition(q.position(), q.reason(), estimatedStartAt, estimate, f == null ? null : rounded(f.shareCu()),
                    q.behindWorkspaceId(), f == null ? null : f.weight(), f == null ? null : rounded(f.weightedShareCu()),
                    f == null ? null : f.idleGuarantee());
        }

        static Double rounded(Double cu) {
            return cu == null ? null : Math.round(cu * 1000) / 1000.0;
        }
    }

    public InstanceInfo withQueue(QueuePosition q) {
        return new InstanceInfo(id, name, workspaceId, resourceGroupId, type, shape, usageType, cu, priority, timeoutSeconds,
                imageId, status, submittedBy, queuedAt, startedAt, finishedAt, waitMillis, runMillis, exitCode,
                failureReason, consumption, limitsEnforced, limitsNote, enforcement, restarts, warnings, q, payload, progress);
    }

    /** A sync's progress (SPEC DI-5), as its worker last reported it. */
    public InstanceInfo withProgress(Map<String, Object> p) {
        return new InstanceInfo(id, name, workspaceId, resourceGroupId, type, shape, usageType, cu, priority, timeoutSeconds,
                imageId, status, submittedBy, queuedAt, startedAt, finishedAt, waitMillis, runMillis, exitCode,
                failureReason, consumption, limitsEnforced, limitsNote, enforcement, restarts, warnings, queue, payload, p);
    }

    /** With what was submitted to run (a script, ...): shown to the workspace's members only, never in lists. */
    public InstanceInfo withPayload(Map<String, Object> p) {
        return new InstanceInfo(id, name, workspaceId, resourceGroupId, type, shape, usageType, cu, priority, timeoutSeconds,
                imageId, status, submittedBy, queuedAt, startedAt, finishedAt, waitMillis, runMillis, exitCode,
                failureReason, consumption, limitsEnforced, limitsNote, enforcement, restarts, warnings, queue, p, progress);
    }
}
