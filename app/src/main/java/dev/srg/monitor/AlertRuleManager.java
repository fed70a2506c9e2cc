package dev.srg.monitor;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.error.Names;
import dev.srg.error.SrgException;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.group.ResourceGroupManager;
import dev.srg.json.Json;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alert rules (SPEC MON-4): their rules of input, their evaluation on the injected clock, and
 * their transitions, each written once (a compare-and-set on the rule) together with its history
 * entry and, for FIRING and RESOLVED, the notification that {@link WebhookNotifier} delivers.
 */
public final class AlertRuleManager {
    private static final Logger LOG = LoggerFactory.getLogger(AlertRuleManager.class);
    public static final int MAX_FOR_SECONDS = 7 * 24 * 3600;
    public static final int MAX_PENDING_THRESHOLD = 1_000_000;
    public static final int MAX_URL_LENGTH = 2000;

    private final Jdbi jdbi;
    private final Clock clock;
    private final ResourceGroupManager groups;
    private final UsageSampler sampler;
    private final MonitorConfig config;
    /** The addresses webhooks may not reach (SSRF): checked at create and at every delivery. */
    private final WebhookTargets targets;
    private volatile Runnable onNotification = () -> {};

    public AlertRuleManager(Jdbi jdbi, Clock clock, ResourceGroupManager groups, UsageSampler sampler, MonitorConfig config) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.sampler = requireNonNull(sampler, "sampler is null");
        this.config = requireNonNull(config, "config is null");
        this.targets = new WebhookTargets(config.webhookAllowedCidrs());
    }

    /** Called after a notification was queued (to deliver it at once). */
    void onNotification(Runnable r) {
        this.onNotification = requireNonNull(r, "r is null");
    }

    public AlertRuleInfo create(Principal caller, CreateAlertRuleRequest r) {
        caller.requireAll("manage alert rules", Policy.ResourceGroupFullAccess);
        String name = Names.check("name", r.name());
        if (r.resourceGroupId() == null) {
            throw SrgException.invalid("resourceGroupId", "MissingParameter", "resourceGroupId is required");
        }
        if (r.metric() == null) {
            throw SrgException.invalid("metric", "MissingParameter", "metric is required: " + List.of(AlertMetric.values()));
        }
        if (r.comparator() == null) {
            throw SrgException.invalid("comparator", "MissingParameter", "comparator is required: " + List.of(AlertComparator.values()));
        }
        double threshold = threshold(r.metric(), r.threshold());
        int forSeconds = r.forSeconds() == null ? 0 : r.forSeconds();
        if (forSeconds < 0 || forSeconds > MAX_FOR_SECONDS) {
            throw SrgException.invalid("forSeconds", "InvalidParameter.ForSeconds",
                    "forSeconds must be 0 to " + MAX_FOR_SECONDS + " (7 days), got " + forSeconds);
        }
        String url = webhookUrl(r.webhookUrl());
        ResourceGroupInfo group;
        try {
            group = groups.get(caller, r.resourceGroupId());
        } catch (SrgException e) {
            throw SrgException.notFound("ResourceGroup", r.resourceGroupId(), "resourceGroupId");
        }
        ResourceGroupManager.requireNotReleased(group, "resourceGroupId"); // SPEC RG-4: nothing new on a released group
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "alert-rule", r.clientToken(), r.fingerprint(), clock::instant,
                h -> {
                    Instant now = clock.instant();
                    String newId = Ids.next("ar", now.toEpochMilli());
                    new AlertRuleDao(h).insert(new AlertRuleInfo(newId, name, group.id(), r.metric(), r.comparator(), threshold,
                            forSeconds, url, AlertState.OK, now, null, null, caller.userId(), now));
                    return newId;
                });
        return get(caller, id);
    }

    /** SPEC MON-4: utilization is a ratio (0.8 = 80 %), pending instances a whole count. */
    private static double threshold(AlertMetric metric, BigDecimal value) {
        if (value == null) {
            throw SrgException.invalid("threshold", "MissingParameter", "threshold is required");
        }
        if (metric == AlertMetric.CU_UTILIZATION) {
            if (value.signum() < 0 || value.compareTo(BigDecimal.TEN) > 0) {
                throw SrgException.invalid("threshold", "InvalidParameter.Threshold",
                        "a CU_UTILIZATION threshold is a ratio of the capacity from 0 to 10 (0.8 = 80 %), got " + value.toPlainString());
            }
        } else if (value.signum() < 0 || value.stripTrailingZeros().scale() > 0
                || value.compareTo(BigDecimal.valueOf(MAX_PENDING_THRESHOLD)) > 0) {
            throw SrgException.invalid("threshold", "InvalidParameter.Threshold",
                    "a PENDING_INSTANCES threshold is a whole number of instances from 0 to " + MAX_PENDING_THRESHOLD
                            + ", got " + value.toPlainString());
        }
        return dev.srg.json.Json.toDouble("threshold", value); // a double where it is stored: 1e-999 is not 0
    }

    /**
     * An http(s) URL with a host, on the allow-list when one is configured. Where notifications go
     * is the operator's choice (only holders of ResourceGroupFullAccess create rules); the
     * allow-list keeps them from reaching anything else, e.g. internal services (SSRF).
     */
    String webhookUrl(String value) {
        if (value == null || value.isBlank()) {
            throw SrgException.invalid("webhookUrl", "MissingParameter", "webhookUrl is required (http or https)");
        }
        URI uri;
        try {
            uri = new URI(value.strip());
        } catch (URISyntaxException e) {
            throw SrgException.invalid("webhookUrl", "InvalidParameter.WebhookUrl", "webhookUrl is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (value.length() > MAX_URL_LENGTH || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw SrgException.invalid("webhookUrl", "InvalidParameter.WebhookUrl",
                    "webhookUrl must be an http or https URL with a host, no credentials and no fragment, at most "
                            + MAX_URL_LENGTH + " characters");
        }
        if (!hostAllowed(uri.getHost())) {
            throw SrgException.invalid("webhookUrl", "InvalidParameter.WebhookUrl.HostNotAllowed",
                    "webhook host '" + uri.getHost() + "' is not on the server's allow-list (webhook-allowed-hosts): "
                            + config.webhookAllowedHosts());
        }
        try {
            targets.resolve(uri.getHost());
        } catch (java.net.UnknownHostException e) {
            // a receiver whose name is not in DNS yet: accepted; every delivery resolves and checks again
        } catch (WebhookTargets.Refused e) {
            throw SrgException.invalid("webhookUrl", "InvalidParameter.WebhookUrl.PrivateAddress",
                    "webhookUrl may not reach the server's own side: " + e.getMessage()
                            + "; webhooks go to public addresses only, unless the operator allows the range"
                            + " (webhook-allowed-cidrs)");
        }
        return uri.toString();
    }

    /** A sender of notices to webhooks, held to the allow-list and the refused addresses (the budgets' too). */
    public WebhookSender sender(java.time.Duration timeout, String userAgent) {
        return new WebhookSender(timeout, userAgent, this::hostAllowed, targets);
    }

    /** Whether the server's webhook allow-list lets notices go to {@code host} (every notice checks it as it is sent). */
    public boolean hostAllowed(String host) {
        if (config.webhookAllowedHosts().isEmpty()) {
            return true;
        }
        String h = host.toLowerCase(Locale.ROOT);
        return config.webhookAllowedHosts().stream().anyMatch(a -> a.startsWith("*.") ? h.endsWith(a.substring(1)) : h.equals(a));
    }

    public AlertRuleInfo get(Principal caller, String id) {
        caller.requireAll("read alert rules", Policy.ResourceGroupFullAccess);
        return jdbi.withHandle(h -> new AlertRuleDao(h).find(id)).map(AlertRuleDao.Row::info)
                .orElseThrow(() -> SrgException.notFound("AlertRule", id));
    }

    public Page<AlertRuleInfo> list(Principal caller, String groupId, PageRequest page) {
        caller.requireAll("read alert rules", Policy.ResourceGroupFullAccess);
        return jdbi.withHandle(h -> page.page(new AlertRuleDao(h).list(groupId, page.afterId(), page.limit())
                .stream().map(AlertRuleDao.Row::info).toList(), AlertRuleInfo::id));
    }

    /**
     * Deletes a rule with its history; notifications not yet delivered are dropped with it. A rule
     * a budget notifies is in use (409 {@code AlertRule.InUse}, naming the budgets), as a bound VPC
     * is: the budget's {@code alertRuleIds} would name nothing. The rule's row is locked first and
     * the budgets read after (a fresh snapshot): a budget naming it locks it too, so one created
     * meanwhile is seen.
     */
    public void delete(Principal caller, String id) {
        caller.requireAll("manage alert rules", Policy.ResourceGroupFullAccess);
        jdbi.useTransaction(h -> {
            if (h.createQuery("SELECT id FROM alert_rules WHERE id = :id FOR UPDATE").bind("id", id).mapTo(String.class)
                    .findOne().isEmpty()) {
                throw SrgException.notFound("AlertRule", id);
            }
            List<String> budgets = h.createQuery("SELECT id FROM budgets WHERE :id = ANY(alert_rule_ids) ORDER BY id LIMIT 10")
                    .bind("id", id).mapTo(String.class).list();
            if (!budgets.isEmpty()) {
                throw SrgException.conflict("AlertRule.InUse", "alert rule '" + id + "' is notified by budget(s) " + budgets
                        + ": remove it from their alertRuleIds (PATCH /api/v1/budgets/{id}) or delete them first");
            }
            new AlertRuleDao(h).delete(id);
        });
    }

    public Page<AlertEventInfo> events(Principal caller, String id, PageRequest page) {
        get(caller, id);
        int after;
        try {
            after = page.afterId().isEmpty() ? 0 : Integer.parseInt(page.afterId());
        } catch (NumberFormatException e) {
            throw SrgException.invalid("pageToken", "InvalidParameter.PageToken", "pageToken is not a token this server issued");
        }
        return jdbi.withHandle(h -> page.page(new AlertRuleDao(h).events(id, after, page.limit()),
                e -> Integer.toString(e.sequence())));
    }

    /** Rules per state, for {@code srg_alert_rules}. */
    Map<String, Long> stateCounts() {
        Map<String, Long> counts = new TreeMap<>();
        for (AlertState s : AlertState.values()) {
            counts.put(s.name(), 0L);
        }
        jdbi.withHandle(h -> new AlertRuleDao(h).states()).forEach(s -> counts.merge(s.name(), 1L, Long::sum));
        return counts;
    }

    /** The background job: evaluates every rule on the clock's now. */
    public void evaluate() {
        Instant now = clock.instant();
        Map<String, GroupState> states = sampler.read(false);
        boolean notified = false;
        for (AlertRuleDao.Row row : jdbi.withHandle(h -> new AlertRuleDao(h).all())) {
            GroupState s = states.get(row.info().resourceGroupId());
            if (s == null) {
                continue; // the group is gone: nothing to watch
            }
            notified |= evaluate(row, s, now);
        }
        if (notified) {
            onNotification.run();
        }
    }

    private boolean evaluate(AlertRuleDao.Row row, GroupState s, Instant now) {
        AlertRuleInfo r = row.info();
        double value = switch (r.metric()) {
            case CU_UTILIZATION -> UsageHistory.round(s.utilization(), 4).doubleValue();
            case PENDING_INSTANCES -> s.queued[GroupState.ALL];
        };
        boolean holds = r.comparator().test(value, r.threshold());
        AlertState.Next next = r.state().next(row.pendingSince(), holds, now, Duration.ofSeconds(r.forSeconds()));
        if (next.state() == r.state()) {
            jdbi.useHandle(h -> new AlertRuleDao(h).evaluated(r.id(), value, now));
            return false;
        }
        int sequence = row.transitions() + 1;
        String eventId = Ids.next("ae", now.toEpochMilli());
        String payload = next.state().notifies() ? payload(eventId, r, s, r.state(), next.state(), value, now) : null;
        boolean moved = jdbi.inTransaction(h -> {
            AlertRuleDao dao = new AlertRuleDao(h);
            if (!dao.transition(r.id(), row.transitions(), next.state(), next.pendingSince(), value, now)) {
                return false; // someone else moved it first: their transition stands
            }
            dao.insertEvent(eventId, r.id(), sequence, r.state(), next.state(), value, r.threshold(), now, payload);
            return true;
        });
        if (moved) {
            LOG.info("alert rule {} on {}: {} -> {} (value {})", r.id(), r.resourceGroupId(), r.state(), next.state(), value);
        }
        return moved && payload != null;
    }

    /** The webhook payload (documented in docs/monitoring.md); stored with the event, sent as is on every attempt. */
    private static String payload(String eventId, AlertRuleInfo r, GroupState s, AlertState from, AlertState to, double value,
                                  Instant now) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("eventId", eventId);
        p.put("ruleId", r.id());
        p.put("ruleName", r.name());
        p.put("resourceGroupId", r.resourceGroupId());
        p.put("resourceGroupName", s.name);
        p.put("metric", r.metric().name());
        p.put("comparator", r.comparator().name());
        p.put("threshold", r.threshold());
        p.put("forSeconds", r.forSeconds());
        p.put("state", to.name());
        p.put("previousState", from.name());
        p.put("value", value);
        p.put("time", now.toString());
        p.put("summary", r.metric() + " of " + r.resourceGroupId() + " is " + value
                + (to == AlertState.FIRING ? " " + r.comparator().symbol() + " " : ", no longer " + r.comparator().symbol() + " ")
                + r.threshold() + (to == AlertState.FIRING && r.forSeconds() > 0 ? " for " + r.forSeconds() + " s" : ""));
        return Json.write(p);
    }
}
