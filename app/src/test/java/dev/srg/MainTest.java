package dev.srg;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The command tree a call builds: only the client command it runs, or everything (issue 17). */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class MainTest {

    @Test
    void aClientCallBuildsOnlyItsOwnCommandByNameOrAlias() {
        assertThat(Main.commandLine("rg", null).getSubcommands().keySet()).containsExactlyInAnyOrder("help", "rg");
        assertThat(Main.commandLine("instances", null).getSubcommands().keySet())
                .containsExactlyInAnyOrder("help", "instance", "instances");
        assertThat(Main.commandLine("run", null).getSubcommands()).containsKey("run").doesNotContainKey("rg");
    }

    @Test
    void ofAGroupOnlyTheSubcommandNamedIsBuiltAndEverythingElseGetsAllOfThem() {
        CommandLine rg = Main.commandLine("rg", "list").getSubcommands().get("rg");
        assertThat(rg.getSubcommands().keySet()).containsExactly("list");
        // it still takes the options every client command inherits, wherever they stand
        assertThat(rg.getSubcommands().get("list").getCommandSpec().findOption("--url")).isNotNull();

        int all = Main.commandLine().getSubcommands().get("rg").getSubcommands().size();
        assertThat(all).isGreaterThan(10);
        for (String second : new String[] {null, "--help", "-o", "lst"}) {
            assertThat(Main.commandLine("rg", second).getSubcommands().get("rg").getSubcommands()).as(second).hasSize(all);
        }
        CommandLine cl = Main.commandLine("rg", "lst");
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("rg", "lst")).isEqualTo(2);
        assertThat(err.toString()).contains("Did you mean").contains("list");
    }

    @Test
    void everyClientCommandAndSubcommandAnswersHelp() {
        // docs/cli.md: "srg COMMAND --help describes each one"; a usage error's last line points there
        int checked = 0;
        for (var group : Main.commandLine().getSubcommands().entrySet()) {
            String name = group.getKey();
            if (!dev.srg.cli.ClientCommands.names(name) || !name.equals(group.getValue().getCommandName())) {
                continue; // server commands, completion, and aliases (their command is checked by its name)
            }
            var subs = group.getValue().getSubcommands().entrySet().stream()
                    .filter(e -> e.getKey().equals(e.getValue().getCommandName())).map(java.util.Map.Entry::getKey).toList();
            for (String sub : subs.isEmpty() ? java.util.List.of("") : subs) {
                String[] args = sub.isEmpty() ? new String[] {name, "--help"} : new String[] {name, sub, "--help"};
                CommandLine cl = Main.forArgs(args);
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                cl.setOut(new PrintWriter(out));
                cl.setErr(new PrintWriter(err));
                assertThat(cl.execute(args)).as(String.join(" ", args) + ": " + err).isZero();
                assertThat(out.toString()).as(String.join(" ", args))
                        .startsWith("Usage: srg " + name + (sub.isEmpty() ? "" : " " + sub)).contains("-h, --help");
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(100);
    }

    @Test
    void helpAnUnknownCommandAndServerCommandsGetTheWholeTree() {
        int all = Main.commandLine().getSubcommands().size();
        assertThat(all).isGreaterThan(20);
        assertThat(Main.commandLine(null, null).getSubcommands()).hasSize(all);
        assertThat(Main.commandLine("--help", null).getSubcommands()).hasSize(all);
        assertThat(Main.commandLine("server", null).getSubcommands()).hasSize(all).containsKey("completion");

        // a mistyped command is still answered with a suggestion from the whole tree
        CommandLine cl = Main.commandLine("rgs", null);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("rgs", "list")).isEqualTo(2);
        assertThat(err.toString()).contains("Did you mean").contains("rg");
    }

    @Test
    void theAotTrainingRunRunsItsCommandsAgainstItsOwnLoopbackServerOnly() throws Exception {
        // it must finish by itself (the launcher waits for it before assembling the cache) and
        // leave nothing behind; a failure here would leave every CLI call without its cache
        assertThat(dev.srg.cli.Training.run()).containsExactly(0, 0, 3, 0, 3);
    }
}
