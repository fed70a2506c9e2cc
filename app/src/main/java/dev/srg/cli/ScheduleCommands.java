package dev.srg.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import tools.jackson.databind.JsonNode;

/** {@code srg schedule}: a group's quota profiles on cron schedules and what applies when (SPEC BEY-2). */
@Command(name = "schedule", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = {"Quota profiles on cron schedules: while a profile applies, its quotas and concurrency threshold",
                "replace the group's own (e.g. nights give DATA_INTEGRATION a 6-CU guarantee)."})
final class ScheduleCommands extends ClientCommand {
    private static final View PROFILES = new View(List.of(Column.field("PROFILE", "name"), Column.field("CRON", "cron"),
            Column.field("MINUTES", "durationMinutes"), Column.of("QUOTAS", p -> quotas(p.path("quotas"))),
            Column.field("MAX-RUNNING", "schedulingMaxRunning")));
    private static final View TIMELINE = new View(List.of(Column.time("FROM", "from"), Column.time("TO", "to"),
            Column.of("PROFILE", e -> e.path("profile").isMissingNode() ? "(group's own)" : e.path("profile").asString()),
            Column.of("QUOTAS", e -> quotas(e.path("quotas"))), Column.field("MAX-RUNNING", "schedulingMaxRunning")));

    /** {@code DATA_INTEGRATION=6:, SCHEDULING=:2}; "-" for none (min:max, as {@code srg rg quotas --set}). */
    static String quotas(JsonNode quotas) {
        if (quotas.isMissingNode() || quotas.isEmpty()) {
            return "-";
        }
        List<String> parts = new ArrayList<>();
        quotas.properties().forEach(e -> parts.add(e.getKey() + "=" + text(e.getValue().path("minCu")) + ":"
                + text(e.getValue().path("maxCu"))));
        return String.join(", ", parts);
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() ? "" : n.asString();
    }

    @Command(name = "show", description = "The group's profiles and what applies now.")
    void show(@Parameters(paramLabel = "RG") String id) {
        print(api().get(path("/resource-groups/%s/quota-schedule", id)));
    }

    @Command(name = "set", description = {"Replace the group's schedule with the one in FILE (JSON; - for standard input):",
            "{\"timeZone\": \"Europe/Berlin\", \"profiles\": [{\"name\": \"nights\", \"cron\": \"0 22 * * *\",",
            " \"durationMinutes\": 480, \"quotas\": {\"DATA_INTEGRATION\": {\"minCu\": 6}}, \"schedulingMaxRunning\": 20}]}"})
    void set(@Parameters(paramLabel = "RG") String id, @Parameters(paramLabel = "FILE") String file) {
        JsonNode schedule;
        try {
            String text = file.equals("-") ? new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    : Files.readString(Path.of(file));
            schedule = dev.srg.json.Json.MAPPER.readTree(text);
        } catch (IOException | RuntimeException e) {
            throw new CliException(2, "cannot read the schedule from " + file + ": " + ClientCommand.ioReason(e));
        }
        print(api().put(path("/resource-groups/%s/quota-schedule", id), schedule));
    }

    @Command(name = "clear", description = "Remove the group's schedule: its own quotas and threshold apply at all times.")
    void clear(@Parameters(paramLabel = "RG") String id) {
        print(api().put(path("/resource-groups/%s/quota-schedule", id), Map.of("profiles", List.of())));
    }

    @Command(name = "timeline", description = "What applies when, from --from (now) to --to (7 days later, at most 31 days).")
    void timeline(@Parameters(paramLabel = "RG") String id,
                  @Option(names = "--from", paramLabel = "TIME", description = "RFC 3339, e.g. 2026-12-01T00:00:00Z") String from,
                  @Option(names = "--to", paramLabel = "TIME") String to) {
        Map<String, String> query = new java.util.LinkedHashMap<>();
        if (from != null) {
            query.put("from", from);
        }
        if (to != null) {
            query.put("to", to);
        }
        JsonNode answer = api().get(path("/resource-groups/%s/quota-schedule/timeline", id), query);
        if (!out().isTable()) {
            out().one(answer, TIMELINE);
            return;
        }
        out().many(elements(answer.path("entries")), TIMELINE);
    }

    private void print(JsonNode schedule) {
        if (!out().isTable()) {
            out().one(schedule, PROFILES);
            return;
        }
        JsonNode applied = schedule.path("applied");
        out().many(elements(schedule.path("profiles")), PROFILES);
        String what = applied.path("profile").isMissingNode() ? "the group's own quotas and threshold" : "profile '"
                + applied.path("profile").asString() + "'";
        String until = applied.path("to").isMissingNode() ? "" : " until " + applied.path("to").asString();
        out().done("time zone " + schedule.path("timeZone").asString() + "; applies now: " + what + until);
    }
}
