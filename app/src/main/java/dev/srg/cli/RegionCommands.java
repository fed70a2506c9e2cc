package dev.srg.cli;

import static dev.srg.cli.Column.field;
import static dev.srg.cli.Column.joined;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

@Command(name = "region", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true, description = "Regions and their zones.")
final class RegionCommands extends ClientCommand {
    static final View REGION = new View(List.of(field("ID", "id"), field("NAME", "name"), field("PURCHASABLE", "purchasable"),
            joined("ZONES", "zones", z -> Column.text(z.path("id")))));

    @Command(name = "list", description = "List regions and their zones.")
    void list() {
        out().many(elements(api().get(API + "/regions")), REGION);
    }
}
