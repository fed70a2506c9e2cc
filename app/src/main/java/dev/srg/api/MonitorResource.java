package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.access.AccessManager;
import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.monitor.AlertEventInfo;
import dev.srg.monitor.AlertRuleInfo;
import dev.srg.monitor.CreateAlertRuleRequest;
import dev.srg.monitor.MonitorConfig;
import dev.srg.monitor.Monitoring;
import dev.srg.monitor.UsageHistory.UsageHistoryInfo;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Usage history, alert rules and the Prometheus scrape endpoint (SPEC MON-1, MON-2, MON-4). */
final class MonitorResource {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})([smhd]?)");

    private MonitorResource() {}

    static void register(ApiRoutes api, Monitoring monitoring) {
        api.get("/resource-groups/{id}/usage/history", "resource-groups",
                "The usage curve: used CU (mean, max), running, queued and admission waits per step, per usage type;"
                        + " from/to RFC 3339 (default: the last hour) or since=24h (before to), step in seconds or 5m/1h (60 s or more)",
                one(UsageHistoryInfo.class), ctx -> ctx.json(monitoring.history().history(caller(ctx), ctx.pathParam("id"),
                        Requests.instantParam(ctx, "from"), Requests.instantParam(ctx, "to"), duration(ctx, "since"),
                        duration(ctx, "step"))),
                "from", "to", "since", "step");
        api.post("/alert-rules", "alert-rules", "Create an alert rule on a group's utilization or pending instances",
                one(CreateAlertRuleRequest.class), 201, one(AlertRuleInfo.class), ctx -> {
                    AlertRuleInfo r = monitoring.alerts().create(caller(ctx), body(ctx, CreateAlertRuleRequest.class));
                    ApiServer.created(ctx, r.id(), r);
                });
        api.get("/alert-rules", "alert-rules", "List alert rules (optionally of one group)", page(AlertRuleInfo.class),
                ctx -> ctx.json(monitoring.alerts().list(caller(ctx), ctx.queryParam("resourceGroupId"), Requests.page(ctx))),
                "resourceGroupId");
        api.get("/alert-rules/{id}", "alert-rules", "Read an alert rule and its state", one(AlertRuleInfo.class),
                ctx -> ctx.json(monitoring.alerts().get(caller(ctx), ctx.pathParam("id"))));
        api.delete("/alert-rules/{id}", "alert-rules", "Delete an alert rule (and its history)", ctx -> {
            monitoring.alerts().delete(caller(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
        api.get("/alert-rules/{id}/events", "alert-rules", "A rule's transitions and how their notifications went, oldest first",
                page(AlertEventInfo.class),
                ctx -> ctx.json(monitoring.alerts().events(caller(ctx), ctx.pathParam("id"), Requests.page(ctx))));
    }

    /** {@code GET /metrics}: Prometheus text; open, or for a bearer token (a user's or the scrape token). */
    static void registerMetrics(RoutesConfig routes, Monitoring monitoring, AccessManager access) {
        routes.get("/metrics", ctx -> {
            if (monitoring.config().metricsAccess() == MonitorConfig.MetricsAccess.TOKEN) {
                requireScraper(ctx, monitoring, access);
            }
            ctx.contentType(PROMETHEUS_TEXT).result(monitoring.metrics().scrape());
        });
    }

    private static void requireScraper(Context ctx, Monitoring monitoring, AccessManager access) {
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new SrgException(401, "Unauthorized", null,
                    "/metrics needs Authorization: Bearer <token> (the scrape token, or a user with ResourceGroupFullAccess)");
        }
        String token = header.substring(7).strip();
        if (monitoring.scrapeToken().isPresent() && MessageDigest.isEqual(
                monitoring.scrapeToken().get().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            return;
        }
        Principal p = access.authenticate(token)
                .orElseThrow(() -> new SrgException(401, "Unauthorized", null, "the bearer token is not valid"));
        p.requireAny("read metrics", Policy.ResourceGroupFullAccess);
    }

    private static Duration duration(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        Matcher m = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw SrgException.invalid(name, "InvalidParameter.Duration", name + " must be seconds (300) or a duration such as 5m, 1h, 1d");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
