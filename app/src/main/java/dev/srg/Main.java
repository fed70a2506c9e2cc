package dev.srg;

import dev.srg.cli.ClientCommands;
import dev.srg.cli.LoadCommand;
import dev.srg.server.DemoCommand;
import dev.srg.server.ServerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code srg}: the server, the demo and the client commands in one jar. */
@Command(name = "srg", mixinStandardHelpOptions = true, version = "srg 0.1.0",
        description = "Serverless resource groups, self-hosted.",
        subcommands = {ServerCommand.class, DemoCommand.class, LoadCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        ClientCommands.addTo(cl);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
