package dev.srg.billing;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AuditAction;
import dev.srg.access.AuditEntry;
import dev.srg.access.AuditLog;
import dev.srg.access.Principal;
import dev.srg.admission.BudgetHold;
import dev.srg.error.SrgException;
import dev.srg.group.GroupStatus;
import dev.srg.group.ResourceGroupManager;
import dev.srg.json.Json;
import dev.srg.monitor.WebhookSender;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Budgets per workspace or resource group per calendar month (UTC), in CU-hours or money (SPEC
 * BEY-3). What a month has spent is what the chargeback report (BEY-5) gives the workspace, or all
 * rows of the group: one measure for both. {@link #runDue} (a background job of the leader)
 * records each threshold crossed once per month — a unique key, so a restart, a new leader or two
 * runs at once record it once — and notifies the budget's alert rules' webhooks from an outbox,
 * with retries.
 */
public final class BudgetManager {
    private static final Logger LOG = LoggerFactory.getLogger(BudgetManager.class);
    public static final List<Integer> DEFAULT_THRESHOLDS = List.of(50, 80, 100);
    private static final int MAX_ATTEMPTS = 5;
    private static final Duration BACKOFF = Duration.ofSeconds(30);
    /** One delivery's connect-and-answer timeout. */
    public static final Duration WEBHOOK_TIMEOUT = Duration.ofSeconds(5);

    public enum Unit { CU_HOURS, MONEY }

    /**
     * {@code POST /budgets}: exactly one of {@code workspaceId} and {@code resourceGroupId};
     * {@code holdNewTasks} (default false): once the month's spending reaches the amount, new tasks
     * of the scope queue with reason BUDGET until the next month, a raise or the hold turned off.
     */
    public record CreateRequest(String name, String workspaceId, String resourceGroupId, Unit unit, BigDecimal amount,
                                List<Integer> thresholds, List<String> alertRuleIds, Boolean holdNewTasks, String clientToken) {}

    /** {@code PATCH /budgets/{id}}: what is given changes (raise the amount, other channels, the hold, ...). */
    public record UpdateRequest(BigDecimal amount, List<Integer> thresholds, List<String> alertRuleIds, Boolean holdNewTasks) {}

    /**
     * A budget and its current month: {@code spent} in its unit, {@code percent} of the amount,
     * {@code spentOut} once it reached the amount, {@code notified} the thresholds notified this month,
     * {@code holding} whether it holds its scope's new tasks now (only with {@code holdNewTasks}).
     * {@code workspaceName} or {@code resourceGroupName}: its scope's name, for people (the CLI's table
     * shows it without asking the server again).
     */
    public record Summary(String id, String name, String workspaceId, String resourceGroupId, String workspaceName,
                          String resourceGroupName, Unit unit, BigDecimal amount,
                       List<Integer> thresholds, List<String> alertRuleIds, String month,
                       BigDecimal spent, BigDecimal percent, boolean spentOut, List<Integer> notified, Instant createdAt,
                       Instant updatedAt, boolean holdNewTasks, boolean holding) {}

    /** A threshold crossed in a month, with its notices to the alert rules' webhooks. */
    public record Event(String id, String budgetId, String month, int threshold, BigDecimal spent, BigDecimal amount,
                            Instant time, List<Notice> notices) {}

    /** {@code delivery}: PENDING, DELIVERED or FAILED (gave up after 5 attempts). */
    public record Notice(String alertRuleId, String delivery, int attempts, Instant deliveredAt, String lastError) {}

    private record Row(String id, String name, String workspaceId, String resourceGroupId, Unit unit, long amountMicros,
                       List<Integer> thresholds, List<String> alertRuleIds, Instant createdAt,
                       Instant updatedAt, boolean holdNewTasks, String holdingMonth) {}

    /** The budgets with their scope's name (for {@link Summary}); the rest of this class reads {@code budgets} alone. */
    private static final String WITH_NAMES = """
            SELECT b.*, w.name AS scope_workspace_name, g.name AS scope_group_name FROM budgets b
            LEFT JOIN workspaces w ON w.id = b.workspace_id LEFT JOIN resource_groups g ON g.id = b.resource_group_id""";

    /** A budget and its scope's name. */
    private record Named(Row row, String workspaceName, String resourceGroupName) {}

    private static Named named(ResultSet rs) throws SQLException {
        return new Named(row(rs), rs.getString("scope_workspace_name"), rs.getString("scope_group_name"));
    }

    private final Jdbi jdbi;
    private final Clock clock;
    private final ChargebackReport chargeback;
    private final Consumer<String> limitsChanged;
    private final WebhookSender sender;

    /**
     * {@code sender}: made by the alert rules (their allow-list and refused addresses), with {@link #WEBHOOK_TIMEOUT};
     * {@code limitsChanged}: admission re-reads a group's limits (a hold began or ended), as after a quota change.
     */
    public BudgetManager(Jdbi jdbi, Clock clock, ChargebackReport chargeback, WebhookSender sender,
                         Consumer<String> limitsChanged) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.chargeback = requireNonNull(chargeback, "chargeback is null");
        this.limitsChanged = requireNonNull(limitsChanged, "limitsChanged is null");
        this.sender = requireNonNull(sender, "sender is null");
    }

    // ---- API ----

    public Summary create(Principal caller, CreateRequest r) {
        OrderBook.requireReader(caller);
        if (r == null) {
            throw SrgException.invalid("name", "MissingParameter", "name is required");
        }
        if (r.name() == null || r.name().isBlank() || r.name().length() > 64) {
            throw SrgException.invalid("name", r.name() == null ? "MissingParameter" : "InvalidParameter.Budget",
                    "name is required, at most 64 characters");
        }
        if ((r.workspaceId() == null) == (r.resourceGroupId() == null)) {
            throw SrgException.invalid("workspaceId", "InvalidParameter.Budget.Scope",
                    "a budget covers a workspace or a resource group: give exactly one of workspaceId and resourceGroupId");
        }
        if (r.unit() == null) {
            throw SrgException.invalid("unit", "MissingParameter", "unit is required: CU_HOURS or MONEY");
        }
        long amount = amount(r.amount());
        List<Integer> thresholds = thresholds(r.thresholds() == null ? DEFAULT_THRESHOLDS : r.thresholds());
        Instant now = clock.instant();
        String request = String.join("|", r.name().strip(), String.valueOf(r.workspaceId()), String.valueOf(r.resourceGroupId()),
                r.unit().name(), Long.toString(amount), thresholds.toString(), String.valueOf(r.alertRuleIds()),
                Boolean.toString(Boolean.TRUE.equals(r.holdNewTasks())));
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "budget", r.clientToken(), request, clock::instant, h -> {
            if (r.workspaceId() != null && !exists(h, "workspaces", r.workspaceId())) {
                throw SrgException.notFound("Workspace", r.workspaceId(), "workspaceId");
            }
            if (r.resourceGroupId() != null) {
                String status = h.createQuery("SELECT status FROM resource_groups WHERE id = :id").bind("id", r.resourceGroupId())
                        .mapTo(String.class).findOne()
                        .orElseThrow(() -> SrgException.notFound("ResourceGroup", r.resourceGroupId(), "resourceGroupId"));
                // SPEC RG-4: nothing new on a released group
                ResourceGroupManager.requireNotReleased(r.resourceGroupId(), GroupStatus.valueOf(status), "resourceGroupId");
            }
            List<String> rules = rules(h, r.alertRuleIds() == null ? List.of() : r.alertRuleIds());
            String newId = Ids.next("bdg", now.toEpochMilli());
            h.createUpdate("""
                    INSERT INTO budgets (id, name, workspace_id, resource_group_id, unit, amount_micros, thresholds, alert_rule_ids,
                        created_at, updated_at, hold_new_tasks)
                    VALUES (:id, :name, :ws, :rg, :unit, :amount, :thresholds, :rules, :now, :now, :hold)""")
                    .bind("id", newId).bind("name", r.name().strip()).bind("ws", r.workspaceId()).bind("rg", r.resourceGroupId())
                    .bind("unit", r.unit().name()).bind("amount", amount).bindArray("thresholds", Integer.class, thresholds)
                    .bindArray("rules", String.class, rules)
                    .bind("now", now).bind("hold", Boolean.TRUE.equals(r.holdNewTasks())).execute();
            return newId;
        });
        if (Boolean.TRUE.equals(r.holdNewTasks())) {
            syncHolds(); // already spent: it holds from now on, not from the job's next run
        }
        return get(caller, id);
    }

    public List<Summary> list(Principal caller) {
        OrderBook.requireReader(caller);
        List<Named> rows = jdbi.withHandle(h -> h.createQuery(WITH_NAMES + " ORDER BY b.id").map((rs, ctx) -> named(rs)).list());
        ChargebackReport.Info month = chargeback.month(currentMonth());
        return jdbi.withHandle(h -> rows.stream().map(b -> info(h, b, month)).toList());
    }

    public Summary get(Principal caller, String id) {
        OrderBook.requireReader(caller);
        Named b = jdbi.withHandle(h -> h.createQuery(WITH_NAMES + " WHERE b.id = :id").bind("id", id).map((rs, ctx) -> named(rs))
                .findOne().orElseThrow(() -> SrgException.notFound("Budget", id)));
        ChargebackReport.Info month = chargeback.month(currentMonth());
        return jdbi.withHandle(h -> info(h, b, month));
    }

    public Summary update(Principal caller, String id, UpdateRequest r) {
        OrderBook.requireReader(caller);
        if (r == null) {
            return get(caller, id);
        }
        Long amount = r.amount() == null ? null : amount(r.amount());
        List<Integer> thresholds = r.thresholds() == null ? null : thresholds(r.thresholds());
        jdbi.useTransaction(h -> {
            find(h, id);
            List<String> rules = r.alertRuleIds() == null ? null : rules(h, r.alertRuleIds());
            Instant now = clock.instant();
            if (amount != null) {
                set(h, id, "amount_micros = :v", now).bind("v", amount).execute();
            }
            if (thresholds != null) {
                set(h, id, "thresholds = :v", now).bindArray("v", Integer.class, thresholds).execute();
            }
            if (rules != null) {
                set(h, id, "alert_rule_ids = :v", now).bindArray("v", String.class, rules).execute();
            }
            if (r.holdNewTasks() != null) {
                set(h, id, "hold_new_tasks = :v", now).bind("v", r.holdNewTasks()).execute();
            }
        });
        // a raise or the hold turned off releases the held tasks before this answers; turned on, holds now
        syncHolds();
        return get(caller, id);
    }

    private static org.jdbi.v3.core.statement.Update set(Handle h, String id, String assignment, Instant now) {
        return h.createUpdate("UPDATE budgets SET " + assignment + ", updated_at = :now WHERE id = :id").bind("id", id).bind("now", now);
    }

    public void delete(Principal caller, String id) {
        OrderBook.requireReader(caller);
        jdbi.useTransaction(h -> {
            find(h, id);
            // a concurrent delete of the same budget took it between the read and here: 404, as one after the other
            if (h.createUpdate("DELETE FROM budgets WHERE id = :id").bind("id", id).execute() == 0) {
                throw SrgException.notFound("Budget", id);
            }
        });
        syncHolds(); // a deleted budget holds nothing (the next read of the limits already sees it gone)
    }

    public List<Event> events(Principal caller, String id) {
        OrderBook.requireReader(caller);
        return jdbi.withHandle(h -> {
            find(h, id);
            Map<String, List<Notice>> notices = new LinkedHashMap<>();
            h.createQuery("""
                    SELECT d.* FROM budget_deliveries d JOIN budget_events e ON e.id = d.event_id
                     WHERE e.budget_id = :id ORDER BY d.rule_id""")
                    .bind("id", id)
                    .map((rs, ctx) -> notices.computeIfAbsent(rs.getString("event_id"), k -> new ArrayList<>())
                            .add(new Notice(rs.getString("rule_id"), rs.getString("delivery"), rs.getInt("attempts"),
                                    instant(rs, "delivered_at"), rs.getString("last_error"))))
                    .list();
            Unit unit = find(h, id).unit();
            return h.createQuery("SELECT * FROM budget_events WHERE budget_id = :id ORDER BY time, threshold")
                    .bind("id", id)
                    .map((rs, ctx) -> new Event(rs.getString("id"), id, rs.getString("month"), rs.getInt("threshold"),
                            units(unit, rs.getLong("spent_micros")), units(unit, rs.getLong("amount_micros")),
                            instant(rs, "time"), notices.getOrDefault(rs.getString("id"), List.of())))
                    .list();
        });
    }

    // ---- the job ----

    /**
     * Records the thresholds each budget crossed this month (each once), then delivers what the
     * outbox holds. Idempotent; run by the leader's background jobs and when the simulated clock moves.
     */
    public void runDue() {
        List<Row> budgets = jdbi.withHandle(h -> h.createQuery("SELECT * FROM budgets ORDER BY id").map((rs, ctx) -> row(rs)).list());
        if (budgets.isEmpty()) {
            return; // no month's report to build: the outbox holds nothing without budgets either
        }
        YearMonth m = currentMonth();
        ChargebackReport.Info month = chargeback.month(m);
        Instant now = clock.instant();
        jdbi.useTransaction(h -> {
            for (Row b : budgets) {
                long spent = spentMicros(b, month);
                Set<Integer> notified = new HashSet<>(notified(h, b.id(), m.toString()));
                for (int threshold : BudgetDecider.decide(b.amountMicros(), spent, b.thresholds(), notified).toNotify()) {
                    record(h, b, m.toString(), threshold, spent, now);
                }
            }
        });
        syncHolds(budgets, month, m);
        deliverDue();
    }

    /**
     * SPEC BEY-3: stores which budgets hold their scope's new tasks this month ({@code holding_month},
     * from {@link BudgetDecider#holdingMonth}) and has admission re-read the limits of the groups a
     * change touches, as a quota change does. Each change is a compare-and-set on what was read
     * (the hold and the budget's {@code updated_at}), so a run that read before a raise cannot
     * hold again what the raise released, and a restart or a second run audits nothing twice.
     */
    private void syncHolds() {
        List<Row> budgets = jdbi.withHandle(h -> h.createQuery("SELECT * FROM budgets ORDER BY id").map((rs, ctx) -> row(rs)).list());
        if (budgets.stream().anyMatch(b -> b.holdNewTasks() || b.holdingMonth() != null)) {
            YearMonth m = currentMonth();
            syncHolds(budgets, chargeback.month(m), m);
        }
    }

    private void syncHolds(List<Row> budgets, ChargebackReport.Info month, YearMonth m) {
        Instant now = clock.instant();
        Set<String> groups = new TreeSet<>();
        boolean workspaces = false;
        for (Row b : budgets) {
            long spent = spentMicros(b, month);
            String want = BudgetDecider.holdingMonth(b.holdNewTasks(), b.amountMicros(), spent, m);
            if (Objects.equals(want, b.holdingMonth())) {
                continue;
            }
            boolean changed = jdbi.inTransaction(h -> {
                int updated = h.createUpdate("""
                        UPDATE budgets SET holding_month = :want
                         WHERE id = :id AND holding_month IS NOT DISTINCT FROM :was AND updated_at = :version""")
                        .bind("want", want).bind("id", b.id()).bind("was", b.holdingMonth()).bind("version", b.updatedAt()).execute();
                if (updated == 0) {
                    return false; // changed meanwhile: whoever changed it decided (or the next run does)
                }
                String scope = b.workspaceId() != null ? "workspace " + b.workspaceId() : "resource group " + b.resourceGroupId();
                String why = !b.holdNewTasks() ? "the hold is turned off"
                        : m.toString().equals(b.holdingMonth()) ? "raised to " + units(b.unit(), b.amountMicros()) + " " + b.unit()
                        : "a new month";
                AuditLog.record(h, now, want != null
                        ? AuditEntry.system(AuditAction.Named.BUDGET_HOLD, b.id(), "budget '" + b.name() + "' is spent in " + want
                                + " (" + units(b.unit(), spent) + " of " + units(b.unit(), b.amountMicros()) + " " + b.unit()
                                + "): new tasks of " + scope + " queue with reason BUDGET")
                        : AuditEntry.system(AuditAction.Named.BUDGET_RELEASE, b.id(), "budget '" + b.name()
                                + "' holds no more tasks of " + scope + " (" + why + ")"));
                return true;
            });
            if (changed && b.resourceGroupId() != null) {
                groups.add(b.resourceGroupId());
            } else if (changed) {
                workspaces = true;
            }
        }
        if (workspaces) {
            // a workspace's tasks may wait on any group
            groups.addAll(jdbi.withHandle(h -> h.createQuery("SELECT id FROM resource_groups WHERE status <> 'RELEASED'")
                    .mapTo(String.class).list()));
        }
        groups.forEach(limitsChanged);
    }

    /**
     * SPEC BEY-3: which tasks spent budgets hold on a group in {@code month}, as admission applies
     * them: the group's own budget holds all, a workspace's budget its workspace's tasks (on every group).
     * Several groups in one statement; every one of {@code groupIds} is in the answer.
     */
    public static Map<String, BudgetHold> holds(Handle h, Collection<String> groupIds, YearMonth month) {
        Set<String> wholeGroups = new HashSet<>();
        Set<String> workspaces = new HashSet<>();
        for (Map<String, Object> b : h.createQuery("""
                SELECT resource_group_id, workspace_id, hold_new_tasks, holding_month FROM budgets
                 WHERE holding_month IS NOT NULL AND (resource_group_id = ANY(:groups) OR workspace_id IS NOT NULL)""")
                .bindArray("groups", String.class, List.copyOf(groupIds)).mapToMap().list()) {
            if (BudgetDecider.holds((Boolean) b.get("hold_new_tasks"), (String) b.get("holding_month"), month)) {
                if (b.get("workspace_id") != null) {
                    workspaces.add((String) b.get("workspace_id"));
                } else {
                    wholeGroups.add((String) b.get("resource_group_id"));
                }
            }
        }
        Map<String, BudgetHold> holds = new HashMap<>();
        for (String group : groupIds) {
            boolean wholeGroup = wholeGroups.contains(group);
            holds.put(group, wholeGroup || !workspaces.isEmpty() ? new BudgetHold(wholeGroup, workspaces) : BudgetHold.NONE);
        }
        return holds;
    }

    private void record(Handle h, Row b, String month, int threshold, long spent, Instant now) {
        String eventId = Ids.next("bde", now.toEpochMilli());
        int inserted = h.createUpdate("""
                INSERT INTO budget_events (id, budget_id, month, threshold, spent_micros, amount_micros, time)
                VALUES (:id, :budget, :month, :threshold, :spent, :amount, :now) ON CONFLICT (budget_id, month, threshold) DO NOTHING""")
                .bind("id", eventId).bind("budget", b.id()).bind("month", month).bind("threshold", threshold)
                .bind("spent", spent).bind("amount", b.amountMicros()).bind("now", now).execute();
        if (inserted == 0) {
            return; // recorded meanwhile by another run
        }
        AuditLog.record(h, now, AuditEntry.system(AuditAction.Named.BUDGET_THRESHOLD, b.id(), "budget '" + b.name() + "' reached "
                + threshold + " % of " + units(b.unit(), b.amountMicros()) + " " + b.unit() + " in " + month + " (spent "
                + units(b.unit(), spent) + ")"));
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("kind", "BUDGET_THRESHOLD");
        payload.put("eventId", eventId);
        payload.put("budgetId", b.id());
        payload.put("budgetName", b.name());
        payload.put("workspaceId", b.workspaceId());
        payload.put("resourceGroupId", b.resourceGroupId());
        payload.put("month", month);
        payload.put("thresholdPercent", threshold);
        payload.put("unit", b.unit().name());
        payload.put("amount", units(b.unit(), b.amountMicros()));
        payload.put("spent", units(b.unit(), spent));
        payload.put("time", now.toString());
        payload.values().removeIf(java.util.Objects::isNull);
        String body = Json.write(payload);
        for (String rule : b.alertRuleIds()) {
            h.createUpdate("""
                    INSERT INTO budget_deliveries (event_id, rule_id, webhook_url, payload, delivery, next_attempt_at)
                    SELECT :event, id, webhook_url, :payload, 'PENDING', :now FROM alert_rules WHERE id = :rule""")
                    .bind("event", eventId).bind("rule", rule).bind("payload", body).bind("now", now).execute();
        }
    }

    /** Sends every due notice once (a failed one again after 30 s, 60 s, ..., at most 5 attempts). */
    void deliverDue() {
        while (true) {
            boolean more = jdbi.inTransaction(h -> {
                Optional<Map<String, Object>> due = h.createQuery("""
                        SELECT event_id, rule_id, webhook_url, payload, attempts FROM budget_deliveries
                         WHERE delivery = 'PENDING' AND next_attempt_at <= :now
                         ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED""")
                        .bind("now", clock.instant()).mapToMap().findOne();
                if (due.isEmpty()) {
                    return false;
                }
                Map<String, Object> d = due.get();
                int attempt = ((Number) d.get("attempts")).intValue() + 1;
                String error = sender.send((String) d.get("webhook_url"), (String) d.get("event_id"), attempt, (String) d.get("payload"));
                Instant now = clock.instant();
                String state = error == null ? "DELIVERED" : attempt >= MAX_ATTEMPTS ? "FAILED" : "PENDING";
                if (error != null) {
                    LOG.warn("budget notice {} to rule {} failed (attempt {}): {}", d.get("event_id"), d.get("rule_id"), attempt, error);
                }
                h.createUpdate("""
                        UPDATE budget_deliveries SET delivery = :state, attempts = :attempt, last_error = :error,
                            delivered_at = :delivered, next_attempt_at = :next WHERE event_id = :event AND rule_id = :rule""")
                        .bind("state", state).bind("attempt", attempt).bind("error", error)
                        .bind("delivered", error == null ? now : null)
                        .bind("next", "PENDING".equals(state) ? now.plus(BACKOFF.multipliedBy(1L << (attempt - 1))) : null)
                        .bind("event", (String) d.get("event_id")).bind("rule", (String) d.get("rule_id")).execute();
                return true;
            });
            if (!more) {
                return;
            }
        }
    }

    // ---- helpers ----

    private YearMonth currentMonth() {
        return YearMonth.from(clock.instant().atZone(ZoneOffset.UTC));
    }

    /** What the month spent in the budget's scope and unit, in micro-units. */
    static long spentMicros(String workspaceId, String groupId, Unit unit, ChargebackReport.Info month) {
        long spent = 0;
        for (ChargebackReport.Row r : month.rows()) {
            boolean in = workspaceId != null ? workspaceId.equals(r.workspaceId()) : groupId.equals(r.resourceGroupId());
            if (in) {
                spent += unit == Unit.MONEY ? r.cost().micros() : r.cuHours().movePointRight(6).longValue();
            }
        }
        return spent;
    }

    private static long spentMicros(Row b, ChargebackReport.Info month) {
        return spentMicros(b.workspaceId(), b.resourceGroupId(), b.unit(), month);
    }

    private Summary info(Handle h, Named named, ChargebackReport.Info month) {
        Row b = named.row();
        long spent = spentMicros(b, month);
        List<Integer> notified = notified(h, b.id(), month.month());
        return new Summary(b.id(), b.name(), b.workspaceId(), b.resourceGroupId(), named.workspaceName(), named.resourceGroupName(),
                b.unit(), units(b.unit(), b.amountMicros()),
                b.thresholds(), b.alertRuleIds(), month.month(), units(b.unit(), spent),
                BigDecimal.valueOf(spent).multiply(BigDecimal.valueOf(100)).divide(BigDecimal.valueOf(b.amountMicros()), 2,
                        java.math.RoundingMode.DOWN),
                BudgetDecider.decide(b.amountMicros(), spent, b.thresholds(), Set.of()).spentOut(), notified, b.createdAt(),
                b.updatedAt(), b.holdNewTasks(), BudgetDecider.holds(b.holdNewTasks(), b.holdingMonth(), YearMonth.parse(month.month())));
    }

    private static List<Integer> notified(Handle h, String budgetId, String month) {
        return h.createQuery("SELECT threshold FROM budget_events WHERE budget_id = :id AND month = :month ORDER BY threshold")
                .bind("id", budgetId).bind("month", month).mapTo(Integer.class).list();
    }

    private static BigDecimal units(Unit unit, long micros) {
        BigDecimal v = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return v.scale() < 0 ? v.setScale(0) : v;
    }

    private static long amount(BigDecimal amount) {
        if (amount == null) {
            throw SrgException.invalid("amount", "MissingParameter", "amount is required (CU-hours or money, per month)");
        }
        BigDecimal micros = amount.movePointRight(6);
        if (amount.signum() <= 0 || micros.stripTrailingZeros().scale() > 0
                || micros.compareTo(BigDecimal.valueOf(BudgetDecider.MAX_AMOUNT_MICROS)) > 0) {
            throw SrgException.invalid("amount", "InvalidParameter.Budget.Amount",
                    "amount must be positive, at most 1000000000 and have at most 6 decimals, got " + amount.toPlainString());
        }
        return micros.longValueExact();
    }

    private static List<Integer> thresholds(List<Integer> thresholds) {
        if (thresholds.isEmpty() || thresholds.size() > 10 || thresholds.stream().anyMatch(t -> t == null || t < 1 || t > 100)
                || new HashSet<>(thresholds).size() != thresholds.size()) {
            throw SrgException.invalid("thresholds", "InvalidParameter.Budget.Thresholds",
                    "thresholds are 1 to 10 distinct percentages from 1 to 100, e.g. [50, 80, 100]");
        }
        return thresholds.stream().sorted().toList();
    }

    private static List<String> rules(Handle h, List<String> ids) {
        for (int i = 0; i < ids.size(); i++) {
            // FOR SHARE: a rule's delete locks it and then looks for budgets naming it (AlertRule.InUse)
            if (ids.get(i) == null || h.createQuery("SELECT id FROM alert_rules WHERE id = :id FOR SHARE").bind("id", ids.get(i))
                    .mapTo(String.class).findOne().isEmpty()) {
                throw SrgException.notFound("AlertRule", String.valueOf(ids.get(i)), "alertRuleIds[" + i + "]");
            }
        }
        return List.copyOf(new java.util.LinkedHashSet<>(ids));
    }

    private static boolean exists(Handle h, String table, String id) {
        return h.createQuery("SELECT count(*) FROM " + table + " WHERE id = :id").bind("id", id).mapTo(Long.class).one() > 0;
    }

    private static Row find(Handle h, String id) {
        return h.createQuery("SELECT * FROM budgets WHERE id = :id").bind("id", id).map((rs, ctx) -> row(rs)).findOne()
                .orElseThrow(() -> SrgException.notFound("Budget", id));
    }

    private static Row row(ResultSet rs) throws SQLException {
        return new Row(rs.getString("id"), rs.getString("name"), rs.getString("workspace_id"), rs.getString("resource_group_id"),
                Unit.valueOf(rs.getString("unit")), rs.getLong("amount_micros"),
                Arrays.stream((Integer[]) array(rs.getArray("thresholds"))).toList(),
                Arrays.stream((String[]) array(rs.getArray("alert_rule_ids"))).toList(),
                instant(rs, "created_at"), instant(rs, "updated_at"), rs.getBoolean("hold_new_tasks"), rs.getString("holding_month"));
    }

    private static Object array(Array a) throws SQLException {
        return a.getArray();
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        java.sql.Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
