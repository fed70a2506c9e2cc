package dev.srg.cli;

import static dev.srg.cli.Column.field;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.TypeConversionException;

@Command(name = "audit", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true, description = "The audit log of every change.")
final class AuditCommands extends ClientCommand {
    static final View EVENT = new View(List.of(field("TIME", "time"), field("ACTOR", "actor"), field("ACTION", "action"),
            field("RESOURCE", "resourceId"), field("RESULT", "result"), field("DETAIL", "detail")), List.of(field("ID", "id")));

    /** {@code 90s}, {@code 30m}, {@code 1h}, {@code 7d}. */
    static final class SinceConverter implements ITypeConverter<Duration> {
        private static final Pattern FORM = Pattern.compile("(\\d{1,9})([smhd])");

        @Override
        public Duration convert(String value) {
            Matcher m = FORM.matcher(value.strip().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new TypeConversionException("'" + value + "' is not a duration such as 90s, 30m, 1h or 7d");
            }
            ChronoUnit unit = switch (m.group(2)) {
                case "s" -> ChronoUnit.SECONDS;
                case "m" -> ChronoUnit.MINUTES;
                case "h" -> ChronoUnit.HOURS;
                default -> ChronoUnit.DAYS;
            };
            return Duration.of(Long.parseLong(m.group(1)), unit);
        }
    }

    @Command(name = "list", description = "List audit events, oldest first.")
    void list(@Option(names = "--since", paramLabel = "DURATION", converter = SinceConverter.class,
                      description = "events of the last 90s, 30m, 1h, 7d ...") Duration since,
              @Option(names = "--from", paramLabel = "TIME", description = "RFC 3339 UTC, e.g. 2026-01-31T12:00:00Z") String from,
              @Option(names = "--to", paramLabel = "TIME", description = "RFC 3339 UTC") String to,
              @Option(names = "--actor", paramLabel = "USER_NAME") String actor,
              @Mixin ListOptions page) {
        if (since != null && from != null) {
            throw new ParameterException(spec.commandLine().getSubcommands().get("list"), "--since and --from are mutually exclusive");
        }
        Map<String, String> query = new LinkedHashMap<>();
        query.put("from", since != null ? Human.now().minus(since).truncatedTo(ChronoUnit.SECONDS).toString() : from);
        query.put("to", to);
        query.put("actor", actor);
        printList(API + "/audit-events", query, page, EVENT);
    }
}
