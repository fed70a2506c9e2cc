package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AuditEntry;
import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.admission.LedgerInfo;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.QueuedTaskInfo;
import dev.srg.admission.WaitReason;
import dev.srg.billing.Money;
import dev.srg.billing.Prices;
import dev.srg.admission.TypeUsage;
import dev.srg.admission.UsageType;
import dev.srg.error.Names;
import dev.srg.error.SrgException;
import dev.srg.execution.NetworkContext;
import dev.srg.execution.TaskKind;
import dev.srg.execution.TaskKinds;
import dev.srg.execution.WorkShape;
import dev.srg.group.AdmissionLimitsReader;
import dev.srg.group.GroupStatus;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.group.ResourceGroupLifecycle;
import dev.srg.group.ResourceGroupManager;
import dev.srg.quantity.ComputeUnits;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import dev.srg.store.OneTrip;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import dev.srg.trace.SubmitTrace;
import dev.srg.workspace.WorkspaceInfo;
import dev.srg.workspace.WorkspaceManager;
import dev.srg.workspace.WorkspaceRole;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;

/**
 * Task instances: submission with its rules (WS-1, WS-3, ADM-3, RT-2), reading, cancelling, logs,
 * and a group's usage now (MON-1, MON-2). The {@link InstanceDispatcher} runs them.
 */
public final class InstanceManager {
    public static final int DEFAULT_PRIORITY = 5;
    public static final int DEFAULT_TIMEOUT_SECONDS = 3600;
    public static final int MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

    private final Jdbi jdbi;
    private final Clock clock;
    private final ResourceGroupManager groups;
    private final WorkspaceManager workspaces;
    private final InstanceDispatcher dispatcher;
    private final TaskKinds kinds;
    private final StartEstimator estimator;
    private final ImageCheck images;
    private final Prices prices;
    private final ResourceGroupLifecycle lifecycle;

    /**
     * Whether a task may name an image (SPEC RT-1): throws a 404 when there is none, a 409 when it
     * is not usable. Without images, every image id is unknown.
     */
    @FunctionalInterface
    public interface ImageCheck {
        ImageCheck NONE = imageId -> {
            throw SrgException.notFound("Image", imageId, "imageId");
        };

        void requireUsable(String imageId);
    }

    public InstanceManager(Jdbi jdbi, Clock clock, ResourceGroupManager groups, WorkspaceManager workspaces,
                           InstanceDispatcher dispatcher, Prices prices, ResourceGroupLifecycle lifecycle, ImageCheck images) {
        this.images = requireNonNull(images, "images is null");
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.workspaces = requireNonNull(workspaces, "workspaces is null");
        this.dispatcher = requireNonNull(dispatcher, "dispatcher is null");
        this.kinds = dispatcher.kinds();
        this.estimator = new StartEstimator(jdbi, clock);
        this.prices = requireNonNull(prices, "prices is null");
        this.lifecycle = requireNonNull(lifecycle, "lifecycle is null");
    }

    /**
     * {@code GET /resource-groups/{id}/usage} (MON-1).
     *
     * @param queuePolicy how the queue is ordered (docs/rules.md#queue-policy)
     * @param shareHalfLifeSeconds how fast past use stops counting in {@code shares}
     * @param shares each workspace's share of the group, the smallest weighted share first (weight 0
     *     last): what FAIR_SHARE orders by (counted under ARRIVAL too, so a switch orders by the use so far)
     */
    public record GroupUsage(ComputeUnits capacityCu, ComputeUnits usedCu, double utilization, String status,
                             Map<UsageType, TypeUsageView> byUsageType, dev.srg.admission.QueuePolicy queuePolicy,
                             long shareHalfLifeSeconds, List<ShareView> shares) {}

    /**
     * One workspace's share of a group: {@code shareCu = runningCu + decayedCuSeconds * ln 2 / halfLife}
     * (the CU it runs now plus its decayed average CU use), its weight and {@code weightedShareCu =
     * shareCu / weight} (null for weight 0).
     */
    public record ShareView(String workspaceId, double shareCu, ComputeUnits runningCu, double decayedCuSeconds, int weight,
                            Double weightedShareCu) {}

    public record TypeUsageView(ComputeUnits usedCu, int running, int queued, ComputeUnits queuedCu) {}

    public InstanceInfo submit(Principal caller, SubmitRequest r) {
        return submit(caller, r, r.payloadFields(), null).instance();
    }

    /**
     * A submission whose payload fields come from elsewhere than the request body (a connectivity
     * test's host and port): the kind still checks them.
     */
    public InstanceInfo submit(Principal caller, SubmitRequest r, Map<String, Object> payloadFields) {
        return submit(caller, r, payloadFields, null).instance();
    }

    /** The answer to a submission, and whether its audit entry was committed with it. */
    public record Submitted(InstanceInfo instance, boolean audited) {}

    /**
     * A submission whose audit entry (SPEC ACC-5; {@code audit} makes it from the new id) commits in
     * the INSERT's transaction: one commit per submission less (issue 17). A repeated request (its
     * client token) creates nothing and records nothing here: {@code audited} is false.
     */
    public Submitted submit(Principal caller, SubmitRequest r, Function<String, AuditEntry> audit) {
        return submit(caller, r, r.payloadFields(), requireNonNull(audit, "audit is null"));
    }

    private Submitted submit(Principal caller, SubmitRequest r, Map<String, Object> payloadFields,
                             Function<String, AuditEntry> audit) {
        // admission waits (a bounded time) for the submissions in flight: their answers first
        SubmissionGate.Submission inFlight = dispatcher.submissionBegins();
        try {
            return submitNow(caller, r, payloadFields, audit);
        } finally {
            inFlight.close();
        }
    }

    private Submitted submitNow(Principal caller, SubmitRequest r, Map<String, Object> payloadFields,
                                Function<String, AuditEntry> audit) {
        Checked c = check(caller, r, payloadFields);
        refuseWithoutStorage(c.group());
        SubmitTrace.mark(SubmitTrace.Phase.CHECKED);
        InstanceDao.Row[] created = new InstanceDao.Row[1];
        List<InstanceDispatcher.EarlyStart> early = new ArrayList<>(1);
        Optional<NetworkContext> startContext = dispatcher.startContext(c.group().id(), c.kind().shape(), r.cu().milli(),
                c.networkGeneration());
        String committedId;
        try {
            committedId = IdempotencyKeys.createOnce(jdbi, caller.userId(), "instance", r.clientToken(), r.fingerprint(),
                    clock::instant, h -> {
                        String newId = Ids.next("i", clock.millis());
                        // the audit entry in the INSERT's own statement: one round trip less (issue 17)
                        created[0] = new InstanceDao(h, clock).insert(new InstanceDao.NewInstance(newId, c.ws().id(),
                                c.group().id(), r.name(), c.kind().name(), c.kind().shape(), c.kind().usageType(), c.payload(),
                                r.cu(), c.priority(), c.timeoutSeconds(), r.imageId(), c.warnings(), caller.userId()),
                                Optional.ofNullable(audit).map(a -> a.apply(newId)));
                        // started in this transaction when the group has room and nothing waits ahead
                        startContext.flatMap(network -> dispatcher.startInTransaction(h, created[0], network))
                                .ifPresent(early::add);
                        return newId;
                    });
        } catch (RuntimeException e) {
            // an attempt before the last lost a client-token race and was rolled back; the last one
            // may have committed if only its COMMIT's answer was lost: the dispatcher asks the store
            InstanceDispatcher.EarlyStart last = early.isEmpty() ? null : early.removeLast();
            early.forEach(dispatcher::startUndone);
            early.clear();
            if (last == null || !dispatcher.committedDespite(last, e)) {
                throw e;
            }
            early.add(last); // committed: answered as any other committed start
            committedId = last.instanceId();
        }
        SubmitTrace.mark(SubmitTrace.Phase.COMMITTED);
        String id = committedId;
        // a row made by an attempt that lost a client-token race was rolled back: only this id's is real
        early.removeIf(s -> {
            boolean rolledBack = !s.instanceId().equals(id);
            if (rolledBack) {
                dispatcher.startUndone(s);
            }
            return rolledBack;
        });
        if (created[0] == null || !created[0].id().equals(id)) {
            // the same request again (its client token): the instance as it stands now
            return new Submitted(submitted(jdbi.withHandle(h -> new InstanceDao(h, clock).find(id)).orElseThrow()), false);
        }
        if (!early.isEmpty()) {
            // committed STARTING with its launch recorded: the dispatcher launches it on its own threads
            dispatcher.startCommitted(early.get(0));
            return new Submitted(submitted(early.get(0).row()), audit != null);
        }
        // committed QUEUED: from here a crash loses nothing (the next start queues it again); the
        // dispatcher admits and launches it on its own threads, not on this request's
        dispatcher.submitted(created[0]);
        if (c.resumes()) {
            // SPEC BEY-6: queued (the group admits nothing while FROZEN), then the group runs again
            lifecycle.resumeOnDemand(c.group().id(), id);
        }
        return new Submitted(submitted(created[0]), audit != null);
    }

    /**
     * The answer to a submission: the instance as committed (or, for a repeated request, as stored
     * now), its payload (the caller passed the membership check), and, while queued, its place
     * and reason from the ledger — READY when admission has not run yet. When admission took it
     * meanwhile the store is read again, so the answer never shows a start older than the truth.
     * Not the estimated start: that replays the group's whole queue with every active instance
     * read from the store, so each answer cost as much as the queue was long and submitting n
     * tasks O(n^2) (issue 17); {@code GET /instances/{id}} has it.
     */
    private InstanceInfo submitted(InstanceDao.Row row) {
        InstanceInfo i = row.info().withPayload(row.payload());
        if (i.status() != InstanceStatus.QUEUED) {
            return i;
        }
        String id = i.id();
        return dispatcher.queued(i.resourceGroupId(), id).map(q -> i.withQueue(InstanceInfo.QueuePosition.of(q,
                null, "not in the submission's answer: GET /api/v1/instances/" + id
                        + " estimates it by replaying the queue ahead")))
                .orElseGet(() -> {
                    InstanceDao.Row now = jdbi.withHandle(h -> new InstanceDao(h, clock).find(id)).orElseThrow();
                    return now.info().status() == InstanceStatus.QUEUED ? i : now.info().withPayload(now.payload());
                });
    }

    /**
     * SPEC BEY-1: what {@code POST /instances?dryRun=true} answers: the same checks as a submission
     * (the same refusals), then where the task would stand and when it would start, and what it
     * would cost; nothing is written (no instance, no idempotency key, no audit entry).
     */
    public record DryRunResult(boolean dryRun, String workspaceId, String resourceGroupId, String type, UsageType usageType,
                               ComputeUnits cu, boolean startsNow, Integer position, WaitReason reason,
                               Instant estimatedStartAt, String estimate, Long expectedRunSeconds, String expectedRunBasis,
                               Money estimatedCost, String currency, String costNote, List<String> warnings,
                               @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                               Double workspaceShareCu,
                               @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                               String behindWorkspaceId,
                               @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                               Integer workspaceWeight,
                               @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                               Double weightedShareCu,
                               @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                               Boolean idleGuarantee) {
        /** The FAIR_SHARE fields of a task that would wait ({@code fair} null: ARRIVAL, or it starts now). */
        static DryRunResult of(boolean dryRun, String workspaceId, String resourceGroupId, String type, UsageType usageType,
                               ComputeUnits cu, boolean startsNow, Integer position, WaitReason reason,
                               Instant estimatedStartAt, String estimate, Long expectedRunSeconds, String expectedRunBasis,
                               Money estimatedCost, String currency, String costNote, List<String> warnings,
                               dev.srg.admission.FairShareInfo fair, String behindWorkspaceId) {
            return new DryRunResult(dryRun, workspaceId, resourceGroupId, type, usageType, cu, startsNow, position, reason,
                    estimatedStartAt, estimate, expectedRunSeconds, expectedRunBasis, estimatedCost, currency, costNote, warnings,
                    fair == null ? null : InstanceInfo.QueuePosition.rounded(fair.shareCu()), behindWorkspaceId,
                    fair == null ? null : fair.weight(), fair == null ? null : InstanceInfo.QueuePosition.rounded(fair.weightedShareCu()),
                    fair == null ? null : fair.idleGuarantee());
        }
    }

    public DryRunResult dryRun(Principal caller, SubmitRequest r) {
        Checked c = check(caller, r, r.payloadFields());
        String groupId = c.group().id();
        LedgerInfo snapshot = dispatcher.snapshot(groupId);
        if (c.resumes()) {
            // SPEC BEY-6: the submission would resume the group first
            snapshot = new LedgerInfo(snapshot.limits().withAdmitting(true), snapshot.usedMilliCu(), snapshot.running(),
                    snapshot.queued(), snapshot.byType(), snapshot.queue(), snapshot.shares());
        }
        // after every queued task at its priority: a submission now arrives last
        QueuedTask candidate = new QueuedTask("dry-run", c.kind().usageType(), r.cu().milli(), c.priority(), Long.MAX_VALUE,
                clock.millis(), c.ws().id());
        StartEstimator.DryRun d = estimator.dryRun(groupId, snapshot, candidate, c.ws().id(), r.name(), c.kind().shape(),
                c.kind().shape() == WorkShape.SERVICE ? null : c.timeoutSeconds());
        Long expectedMillis = d.expected().millis();
        Money cost = expectedMillis == null ? null : Prices.usage(r.cu().milli() * expectedMillis, prices.payAsYouGoCuHour());
        String rate = prices.payAsYouGoCuHour() + " " + prices.currency() + " per CU-hour";
        String costNote;
        if (cost == null) {
            costNote = "a service is charged for as long as it runs: " + rate + " x " + r.cu();
        } else if (c.group().billingMode() == dev.srg.group.BillingMode.PAY_AS_YOU_GO) {
            costNote = "metered: " + rate + " x " + r.cu() + " x the expected run time (" + d.expected().basis() + ")";
        } else {
            costNote = "the subscription already pays for it; at pay-as-you-go prices (" + rate
                    + ") its expected run (" + d.expected().basis() + ") would cost this";
        }
        String estimate = c.resumes() ? "the group is FROZEN and resumes by itself when the task is submitted (docs/rules.md#BEY-6); "
                + d.estimate() : d.estimate();
        Optional<String> full = dispatcher.storageShortage(c.group().regionId());
        if (full.isPresent()) {
            // what a submission now would meet: refused (507), and nothing of the group starts meanwhile
            return DryRunResult.of(true, c.ws().id(), groupId, c.kind().name(), c.kind().usageType(), r.cu(), false,
                    d.position(), WaitReason.INSUFFICIENT_STORAGE, null, "unknown: " + full.get()
                    + "; a submission now is refused (507 InsufficientStorage.TaskDirectory) and the group's queued tasks wait"
                    + " until an operator frees space",
                    expectedMillis == null ? null : (expectedMillis + 999) / 1000, d.expected().basis(), cost, prices.currency(),
                    costNote, c.warnings(), d.fairShare(), d.behindWorkspaceId());
        }
        return DryRunResult.of(true, c.ws().id(), groupId, c.kind().name(), c.kind().usageType(), r.cu(), d.startsNow(),
                d.startsNow() ? null : d.position(), d.startsNow() ? null : d.reason(), d.estimatedStartAt(), estimate,
                expectedMillis == null ? null : (expectedMillis + 999) / 1000, d.expected().basis(), cost, prices.currency(),
                costNote, c.warnings(), d.startsNow() ? null : d.fairShare(), d.startsNow() ? null : d.behindWorkspaceId());
    }

    /**
     * A full disk never fails accepted work: a submission is refused (507, nothing written) while
     * the disk its group's tasks run on is short of space (the local backend: below its reserve),
     * saying what is full. Work accepted before waits in its queue ({@code INSUFFICIENT_STORAGE}).
     */
    private void refuseWithoutStorage(ResourceGroupInfo group) {
        Optional<String> full = dispatcher.storageShortage(group.regionId());
        if (full.isPresent()) {
            throw new SrgException(507, "InsufficientStorage.TaskDirectory", null, full.get()
                    + "; the task was not accepted (nothing is kept): retry once an operator has freed space");
        }
    }

    /** Why some backend takes no new task now for want of storage (readiness says so); empty when all have room. */
    public Optional<String> storageShortage() {
        return dispatcher.storageShortage();
    }

    /** A submission that passed every check: what it runs, where, and how. */
    private record Checked(TaskKind kind, Map<String, Object> payload, WorkspaceInfo ws, ResourceGroupInfo group,
                           int priority, int timeoutSeconds, List<String> warnings, boolean resumes,
                           OptionalLong networkGeneration) {}

    private Checked check(Principal caller, SubmitRequest r, Map<String, Object> payloadFields) {
        if (r.workspaceId() == null) {
            throw SrgException.invalid("workspaceId", "MissingParameter", "workspaceId is required");
        }
        // the kind first: it decides which payload, CU limits and usage type apply (ADM-1, ADM-3)
        TaskKind kind = kinds.require("type", r.type());
        // SPEC RT-1: a script runs in an image; a kind that runs srg's own programs (a sync worker, a
        // probe, a build) does not, and saying so beats a task that fails for want of them
        if (r.imageId() != null && !(kind instanceof dev.srg.execution.ScriptKind)) {
            throw SrgException.invalid("imageId", "InvalidParameter.ImageId",
                    "a " + kind.name() + " task does not run in a custom image; only SHELL and PYTHON tasks do");
        }
        Map<String, Object> checked = kind.payload(payloadFields);
        if (r.cu() == null) {
            throw SrgException.invalid("cu", "MissingParameter", "cu is required (a multiple of 0.25)");
        }
        List<String> warnings = new ArrayList<>();
        // SPEC ADM-3
        if (r.cu().compareTo(kind.maxCu()) > 0) {
            throw SrgException.invalid("cu", "InvalidParameter.Cu.TooLarge",
                    "a " + kind.name() + " task may use at most " + kind.maxCu() + ", got " + r.cu());
        }
        kind.warnAboveCu().filter(warn -> r.cu().compareTo(warn) > 0).ifPresent(warn -> warnings.add(
                "more than " + warn + " for one task: it starts slower and runs less stably; consider splitting it"));
        int priority = r.priority() == null ? DEFAULT_PRIORITY : r.priority();
        if (priority < 1 || priority > 10) {
            throw SrgException.invalid("priority", "InvalidParameter.Priority", "priority must be 1 (lowest) to 10 (highest), got " + priority);
        }
        int timeout = r.timeoutSeconds() == null ? DEFAULT_TIMEOUT_SECONDS : r.timeoutSeconds();
        if (kind.shape() == WorkShape.SERVICE) {
            if (r.timeoutSeconds() != null) {
                throw SrgException.invalid("timeoutSeconds", "InvalidParameter.Timeout",
                        "a " + kind.name() + " service runs until it is stopped; it takes no timeoutSeconds");
            }
            timeout = 0;
        } else if (timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
            throw SrgException.invalid("timeoutSeconds", "InvalidParameter.Timeout",
                    "timeoutSeconds must be 1 to " + MAX_TIMEOUT_SECONDS + ", got " + timeout);
        }
        if (r.imageId() != null) {
            images.requireUsable(r.imageId());
        }
        Names.check("name", r.name());
        Reads reads = read(r.workspaceId(), r.resourceGroupId());
        WorkspaceInfo ws = reads.workspace()
                .orElseThrow(() -> SrgException.notFound("Workspace", r.workspaceId(), "workspaceId"));
        WorkspaceRole role = requireMember(caller, ws);
        if (role == WorkspaceRole.VISITOR) {
            throw SrgException.forbidden("Forbidden.WorkspaceRole",
                    "a VISITOR of workspace '" + ws.id() + "' cannot run tasks");
        }
        Map<String, Object> payload = kind.resolve(ws.id(), r.name(), checked);
        // SPEC WS-3: no group named means the workspace's default
        String groupId = r.resourceGroupId() != null ? r.resourceGroupId() : ws.defaultResourceGroupId();
        if (groupId == null) {
            throw SrgException.invalid("resourceGroupId", "MissingParameter",
                    "resourceGroupId is required: workspace '" + ws.id() + "' has no default resource group");
        }
        // SPEC WS-1
        if (!ws.resourceGroupIds().contains(groupId)) {
            throw SrgException.invalid("resourceGroupId", "InvalidParameter.ResourceGroup.NotAssociated",
                    "resource group '" + groupId + "' is not associated with workspace '" + ws.id() + "'");
        }
        // the trip's group is the one meant unless the workspace's default changed between its statements
        AdmissionLimitsReader.Submitting submitting = reads.group().filter(g -> g.group().id().equals(groupId))
                .or(() -> groups.forSubmit(groupId))
                .orElseThrow(() -> SrgException.notFound("ResourceGroup", groupId, "resourceGroupId"));
        ResourceGroupInfo group = submitting.group();
        // SPEC BEY-6: a frozen pay-as-you-go group that opted in takes the task and resumes
        boolean resumes = lifecycle.resumesOnDemand(group);
        if (!resumes) {
            requireAccepting(group);
        }
        if (r.cu().compareTo(group.capacity()) > 0) {
            throw SrgException.invalid("cu", "InvalidParameter.Cu.ExceedsCapacity",
                    "the task asks " + r.cu() + " but group '" + groupId + "' has " + group.capacity() + " in all; it could never start");
        }
        var quota = submitting.limits().quota(kind.usageType());
        if (r.cu().milli() > quota.maxMilliCu()) {
            throw SrgException.invalid("cu", "InvalidParameter.Cu.ExceedsQuota", "the task asks " + r.cu() + " but "
                    + kind.usageType() + " tasks of group '" + groupId + "' may use at most "
                    + ComputeUnits.ofMilli(quota.maxMilliCu()) + " (its maximum quota); it could never start");
        }
        // SPEC ADM-6: nor into the other types' minimums, which it may never use (the limits read above: no statement)
        long largest = submitting.limits().largestTaskMilliCu(kind.usageType());
        if (r.cu().milli() > largest) {
            long reserved = submitting.limits().minimumsMilliCu() - quota.minMilliCu();
            throw SrgException.invalid("cu", "InvalidParameter.Cu.ExceedsQuota", "the task asks " + r.cu() + " but group '"
                    + groupId + "' has " + ComputeUnits.ofMilli(submitting.limits().capacityMilliCu()) + " in all, of which other"
                    + " usage types' minimum quotas keep " + ComputeUnits.ofMilli(reserved) + ": " + kind.usageType()
                    + " tasks may use at most " + ComputeUnits.ofMilli(Math.max(0, largest)) + "; it could never start");
        }
        return new Checked(kind, payload, ws, group, priority, timeout, List.copyOf(warnings), resumes, reads.networkGeneration());
    }

    /** What a submission reads of the store before its transaction, read in one round trip (issue 17). */
    private record Reads(Optional<WorkspaceInfo> workspace, Optional<AdmissionLimitsReader.Submitting> group,
                         OptionalLong networkGeneration) {}

    /**
     * The workspace, the group (the one named, else the workspace's default) and the network tables'
     * generation (what the dispatcher checks its kept network contexts against) in one round trip:
     * three before (issue 17).
     */
    private Reads read(String workspaceId, String groupId) {
        OneTrip.Read<WorkspaceInfo> workspace = WorkspaceManager.findRead();
        OneTrip.Read<AdmissionLimitsReader.Submitting> group = groups.forSubmitOfWorkspaceRead();
        Optional<OneTrip.Read<Long>> generation = dispatcher.networkGenerationRead();
        List<OneTrip.Read<?>> all = new ArrayList<>(List.of(workspace, group));
        generation.ifPresent(all::add);
        Map<String, String> params = new HashMap<>();
        params.put("workspace", workspaceId);
        params.put("group", groupId);
        OneTrip.Results read = jdbi.withHandle(h -> OneTrip.run(h, params, all));
        return new Reads(read.get(workspace), read.get(group), generation.flatMap(read::get)
                .map(OptionalLong::of).orElseGet(OptionalLong::empty));
    }

    public InstanceInfo get(Principal caller, String id) {
        InstanceDao.Row row = jdbi.withHandle(h -> new InstanceDao(h, clock).find(id))
                .orElseThrow(() -> SrgException.notFound("Instance", id));
        requireVisible(caller, row.info());
        InstanceInfo i = withQueue(row.info());
        boolean member = caller.isAdministrator() || workspaces.role(i.workspaceId(), caller.userId()).isPresent();
        return member ? i.withPayload(row.payload()) : i;
    }

    public Page<InstanceInfo> list(Principal caller, String groupId, InstanceStatus status, UsageType usageType, PageRequest page) {
        List<String> visibleWorkspaces = seesAll(caller) ? null
                : workspaces.list(caller, PageRequest.first(PageRequest.MAX_SIZE)).items().stream().map(WorkspaceInfo::id).toList();
        Page<InstanceDao.Row> rows = jdbi.withHandle(h -> page.page(
                new InstanceDao(h, clock).list(groupId, status, usageType, visibleWorkspaces, page.afterId(), page.limit()),
                InstanceDao.Row::id));
        Map<String, Map<String, InstanceInfo.QueuePosition>> queues = new HashMap<>();
        return rows.map(row -> {
            InstanceInfo i = row.info();
            if (i.status() != InstanceStatus.QUEUED) {
                return i;
            }
            InstanceInfo.QueuePosition q = queues.computeIfAbsent(i.resourceGroupId(), this::queuePositions).get(i.id());
            return q == null ? i : i.withQueue(q);
        });
    }

    public InstanceInfo cancel(Principal caller, String id) {
        InstanceInfo i = get(caller, id);
        WorkspaceRole role = workspaces.role(i.workspaceId(), caller.userId()).orElse(null);
        if (!caller.isAdministrator() && (role == null || role == WorkspaceRole.VISITOR)) {
            throw SrgException.forbidden("Forbidden.WorkspaceRole", "only members of workspace '" + i.workspaceId()
                    + "' who may run tasks may cancel them");
        }
        if (i.status().isFinal()) {
            throw SrgException.conflict("Instance.AlreadyFinished", "instance '" + id + "' already ended as " + i.status());
        }
        dispatcher.cancel(i.id());
        return get(caller, id);
    }

    /**
     * What a task wrote (its log, a sync's dirty records: rows of the source with their values) may
     * hold secrets and data: managing the group it ran on is not enough to read it, a role in its
     * workspace (any) or AdministratorAccess is. {@code what} names it in the 403.
     */
    public void requireWorkspaceRole(Principal caller, InstanceInfo i, String what) {
        if (!caller.isAdministrator() && workspaces.role(i.workspaceId(), caller.userId()).isEmpty()) {
            throw SrgException.forbidden("Forbidden.WorkspaceRole", "reading " + what + " of instance '" + i.id()
                    + "' needs a role in workspace '" + i.workspaceId() + "'");
        }
    }

    /** A chunk of an instance's log from {@code offset}, and whether more may come. */
    public record LogChunk(byte[] bytes, long nextOffset, boolean finished) {}

    /**
     * Up to {@code maxBytes} of an instance's log from {@code offset}, from the backend it runs on
     * (a service: its current run). Cheap enough to poll: no queue position, no start estimate.
     */
    public LogChunk log(Principal caller, String id, long offset, int maxBytes) {
        if (offset < 0) {
            throw SrgException.invalid("offset", "InvalidParameter.Offset", "offset must be 0 or more");
        }
        // the status first: what was written before it was final is all there is
        InstanceDao.Row row = jdbi.withHandle(h -> new InstanceDao(h, clock).find(id))
                .orElseThrow(() -> SrgException.notFound("Instance", id));
        requireVisible(caller, row.info());
        requireWorkspaceRole(caller, row.info(), "the log");
        boolean finished = row.info().status().isFinal();
        try (InputStream in = dispatcher.openLog(row, offset)) {
            byte[] bytes = in.readNBytes(maxBytes);
            return new LogChunk(bytes, offset + bytes.length, finished && bytes.length < maxBytes);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the log of " + id + ": " + e.getMessage(), e);
        }
    }

    /** SPEC BEY-4: right-sizing advice for one recurring task (a name in a workspace). */
    public record TaskAdvice(String workspaceId, String name, ComputeUnits currentCu, ComputeUnits advisedCu,
                             double peakMemoryGiB, double peakCpuCores, int runs, Money monthlySaving, String currency,
                             String why) {}

    /**
     * SPEC BEY-4: for each recurring task of a workspace (or the one named), the CU its recent runs
     * needed (peak memory and CPU, a margin, the 0.25 CU grid) and what the advised size saves a
     * month at current prices. Members of the workspace (any role) and administrators.
     */
    public List<TaskAdvice> advise(Principal caller, String workspaceId, String name) {
        if (workspaceId == null) {
            throw SrgException.invalid("workspaceId", "MissingParameter", "workspaceId is required");
        }
        WorkspaceInfo ws = workspaces.find(workspaceId)
                .orElseThrow(() -> SrgException.notFound("Workspace", workspaceId, "workspaceId"));
        requireMember(caller, ws);
        Instant since = clock.instant().minusMillis(RightSizing.MILLIS_PER_MONTH);
        record Data(Map<String, List<RightSizing.Run>> runs, Map<String, Long> pace) {}
        Data data = jdbi.withHandle(h -> {
            InstanceDao dao = new InstanceDao(h, clock);
            // the tasks users size: not image builds, connectivity tests or services
            List<String> types = kinds.rightSized();
            return new Data(dao.recentRuns(ws.id(), name, types), dao.runMillisSince(ws.id(), since, types));
        });
        List<TaskAdvice> out = new ArrayList<>();
        data.runs().forEach((task, runs) -> {
            RightSizing.Advice a = RightSizing.advise(runs, data.pace().getOrDefault(task, 0L), prices);
            out.add(new TaskAdvice(ws.id(), task, a.currentCu(), a.advisedCu(), round(a.peakMemoryGiB()), round(a.peakCpuCores()),
                    a.runs(), a.monthlySaving(), prices.currency(), a.why()));
        });
        if (name != null && out.isEmpty()) {
            out.add(new TaskAdvice(ws.id(), name, null, null, 0, 0, 0, null, prices.currency(),
                    "no successful run of '" + name + "' in this workspace"));
        }
        return out;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** The names of the kinds this server runs (for forms). */
    public List<String> kinds() {
        return kinds.names();
    }

    public GroupUsage usage(Principal caller, String groupId) {
        ResourceGroupInfo g = groups.get(caller, groupId);
        LedgerInfo ledger = dispatcher.snapshot(groupId);
        Map<UsageType, TypeUsageView> byType = new EnumMap<>(UsageType.class);
        for (Map.Entry<UsageType, TypeUsage> e : ledger.byType().entrySet()) {
            TypeUsage t = e.getValue();
            byType.put(e.getKey(), new TypeUsageView(ComputeUnits.ofMilli(t.usedMilliCu()), t.running(), t.queued(),
                    ComputeUnits.ofMilli(t.queuedMilliCu())));
        }
        long capacity = g.capacity().milli();
        double utilization = capacity == 0 ? 0 : BigDecimal.valueOf(ledger.usedMilliCu())
                .divide(BigDecimal.valueOf(capacity), 4, RoundingMode.HALF_UP).doubleValue();
        List<ShareView> shares = ledger.shares().stream().map(s -> new ShareView(s.workspaceId(), round(s.shareCu()),
                ComputeUnits.ofMilli(s.runningMilliCu()), round(s.decayedCuSeconds()), s.weight(),
                s.weightedShareCu() == null ? null : round(s.weightedShareCu()))).toList();
        return new GroupUsage(g.capacity(), ComputeUnits.ofMilli(ledger.usedMilliCu()), utilization, g.status().name(), byType,
                ledger.limits().queuePolicy(), ledger.limits().fairShare().shareHalfLife().toSeconds(), shares);
    }

    /**
     * SPEC ADM-5: why a queued instance waits now, from its group's ledger (no replay of the queue, no
     * estimate); empty when it is not queued (admitted meanwhile, or ended). For a caller that only
     * needs the reason, e.g. a DataService call whose service is not running yet.
     */
    public Optional<WaitReason> waitReason(String groupId, String instanceId) {
        return dispatcher.queued(groupId, instanceId).map(QueuedTaskInfo::reason);
    }

    private InstanceInfo withQueue(InstanceInfo i) {
        if (i.status() != InstanceStatus.QUEUED) {
            return i;
        }
        InstanceInfo.QueuePosition q = queuePositions(i.resourceGroupId()).get(i.id());
        return q == null ? i : i.withQueue(q);
    }

    /** SPEC MON-2: every queued instance of a group with its position, reason and estimated start. */
    private Map<String, InstanceInfo.QueuePosition> queuePositions(String groupId) {
        return estimator.positions(groupId, dispatcher.snapshot(groupId));
    }

    private static void requireAccepting(ResourceGroupInfo g) {
        GroupStatus s = g.status();
        if (s == GroupStatus.FROZEN) {
            throw SrgException.conflict("ResourceGroup.Frozen", "resourceGroupId",
                    "resource group '" + g.id() + "' is FROZEN after 7 idle days; enable it first: srg rg enable " + g.id()
                            + " (the console's Enable, or POST /api/v1/resource-groups/" + g.id() + "/enable)");
        }
        if (s == GroupStatus.EXPIRED) {
            throw SrgException.conflict("ResourceGroup.Expired", "resourceGroupId",
                    "resource group '" + g.id() + "' has EXPIRED; renew it first");
        }
        if (s == GroupStatus.RELEASING || s == GroupStatus.RELEASED) {
            throw SrgException.conflict("ResourceGroup.Released", "resourceGroupId", "resource group '" + g.id() + "' is " + s);
        }
    }

    private WorkspaceRole requireMember(Principal caller, WorkspaceInfo ws) {
        return ws.members().stream().filter(m -> m.userId().equals(caller.userId())).map(WorkspaceInfo.Member::role)
                .findFirst().orElseGet(() -> {
                    if (caller.isAdministrator()) {
                        return WorkspaceRole.ADMIN;
                    }
                    throw SrgException.notFound("Workspace", ws.id(), "workspaceId");
                });
    }

    private void requireVisible(Principal caller, InstanceInfo i) {
        if (!seesAll(caller) && workspaces.role(i.workspaceId(), caller.userId()).isEmpty()) {
            throw SrgException.notFound("Instance", i.id());
        }
    }

    private static boolean seesAll(Principal caller) {
        return caller.isAdministrator() || caller.has(Policy.ResourceGroupFullAccess);
    }
}
