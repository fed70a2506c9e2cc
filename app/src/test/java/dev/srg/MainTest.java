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
        assertThat(Main.commandLine("rg").getSubcommands().keySet()).containsExactlyInAnyOrder("server", "demo", "load", "help", "rg");
        assertThat(Main.commandLine("instances").getSubcommands().keySet())
                .containsExactlyInAnyOrder("server", "demo", "load", "help", "instance", "instances");
        assertThat(Main.commandLine("run").getSubcommands()).containsKey("run").doesNotContainKey("rg");
    }

    @Test
    void helpAnUnknownCommandAndServerCommandsGetTheWholeTree() {
        int all = Main.commandLine().getSubcommands().size();
        assertThat(all).isGreaterThan(20);
        assertThat(Main.commandLine(null).getSubcommands()).hasSize(all);
        assertThat(Main.commandLine("--help").getSubcommands()).hasSize(all);
        assertThat(Main.commandLine("server").getSubcommands()).hasSize(all).containsKey("completion");

        // a mistyped command is still answered with a suggestion from the whole tree
        CommandLine cl = Main.commandLine("rgs");
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("rgs", "list")).isEqualTo(2);
        assertThat(err.toString()).contains("Did you mean").contains("rg");
    }

    @Test
    void theAotTrainingRunRunsItsCommandsAgainstItsOwnLoopbackServerOnly() throws Exception {
        // it must finish by itself (the launcher waits for it before assembling the cache) and
        // leave nothing behind; a failure here would leave every CLI call without its cache
        assertThat(dev.srg.cli.Training.run()).containsExactly(0, 0, 3, 3, 3);
    }
}
