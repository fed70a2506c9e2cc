package dev.srg;

import dev.srg.cli.ClientCommands;
import dev.srg.cli.LoadCommand;
import dev.srg.server.DemoCommand;
import dev.srg.server.RestoreCommand;
import dev.srg.server.ServerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code srg}: the server, the demo and the client commands in one jar. A client call builds only
 * the command it runs ({@link ClientCommands}); the server commands (a hundred options between them)
 * are built for themselves, help and anything unknown.
 */
@Command(name = "srg", mixinStandardHelpOptions = true, version = "srg 0.1.0",
        description = "Serverless resource groups, self-hosted.", subcommands = CommandLine.HelpCommand.class)
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int exit = forArgs(args).execute(args);
        if (args.length > 0 && ClientCommands.names(args[0])) {
            // System.exit logs the exit through System.Logger, which boots the JDK's logging (a few
            // dozen classes and a service lookup) at the end of every CLI call (issue 17); a client
            // call has no shutdown hook left and nothing else to stop, only output to flush
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(exit);
        }
        System.exit(exit);
    }

    /** The tree a call with these arguments needs (what {@link #main} runs them with; tests too). */
    public static CommandLine forArgs(String... args) {
        return commandLine(args.length == 0 ? null : args[0], args.length < 2 ? null : args[1]);
    }

    /** The whole command tree (help, completion, tests). */
    public static CommandLine commandLine() {
        return commandLine(null, null);
    }

    /**
     * The tree a call needs: with {@code first} naming a client command, only that one is built, and of
     * its subcommands only {@code second} when it names one (a CLI call then starts in a fraction of
     * the time, issue 17); anything else gets the whole tree.
     */
    static CommandLine commandLine(String first, String second) {
        CommandLine cl = new CommandLine(new Main());
        if ("--version".equals(first) || "-V".equals(first)) {
            return cl;
        }
        if (!ClientCommands.names(first)) {
            cl.addSubcommand(new ServerCommand()).addSubcommand(new DemoCommand()).addSubcommand(new LoadCommand())
                    .addSubcommand(new RestoreCommand());
        }
        ClientCommands.addTo(cl, first, second);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
