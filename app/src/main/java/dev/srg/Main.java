package dev.srg;

import dev.srg.cli.ClientCommands;
import dev.srg.cli.LoadCommand;
import dev.srg.server.DemoCommand;
import dev.srg.server.ServerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code srg}: the server, the demo and the client commands in one jar. The server commands are few
 * and cheap to build; the client commands are built on demand ({@link ClientCommands}).
 */
@Command(name = "srg", mixinStandardHelpOptions = true, version = "srg 0.1.0",
        description = "Serverless resource groups, self-hosted.",
        subcommands = {ServerCommand.class, DemoCommand.class, LoadCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine(args.length == 0 ? null : args[0]).execute(args));
    }

    /** The whole command tree (help, completion, tests). */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The tree a call needs: with {@code first} naming a client command, only that one is built (a CLI
     * call then starts in about half the time, issue 17); anything else gets the whole tree.
     */
    static CommandLine commandLine(String first) {
        CommandLine cl = new CommandLine(new Main());
        ClientCommands.addTo(cl, first);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
