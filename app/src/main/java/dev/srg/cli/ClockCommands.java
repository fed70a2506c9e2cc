package dev.srg.cli;

import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

@Command(name = "clock", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "The simulated clock of a server started with --simulated-clock (administrators).")
final class ClockCommands extends ClientCommand {
    @Command(name = "now", description = "Show the server's simulated time.")
    void now() {
        out().one(simulated(() -> api().get(API + "/clock")), LifecycleCommands.CLOCK);
    }

    @Command(name = "advance", description = "Move the clock forward (90s, 30m, 1h, 7d; 0s only runs the background jobs);"
            + " everything due in between happens: freezes, expiries, renewals, releases, metering.")
    void advance(@Parameters(paramLabel = "DURATION", converter = AuditCommands.SinceConverter.class) Duration by) {
        out().one(simulated(() -> api().post(API + "/clock/advance", body("seconds", by.toSeconds()))), LifecycleCommands.CLOCK);
    }

    /** A server on the real clock has no {@code /clock} routes: said as such, not as a missing endpoint. */
    private tools.jackson.databind.JsonNode simulated(java.util.function.Supplier<tools.jackson.databind.JsonNode> call) {
        try {
            return call.get();
        } catch (ApiClient.ApiException e) {
            if ("NotFound.Endpoint".equals(e.code())) {
                throw new CliException(ClientCommands.REFUSED, "the server at " + api().baseUrl() + " runs on the real clock;"
                        + " srg clock works with a server started with --simulated-clock");
            }
            throw e;
        }
    }
}
