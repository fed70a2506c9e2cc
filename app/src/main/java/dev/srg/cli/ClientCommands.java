package dev.srg.cli;

import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/** The client commands ({@code srg rg|vpc|ws|user|region|audit|login|logout ...}). */
public final class ClientCommands {
    /** Exit codes: 0 done, 1 any other failure, 2 bad usage, 3 refused by the server (4xx), 4 server unreachable. */
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int REFUSED = 3;
    public static final int UNREACHABLE = 4;

    private ClientCommands() {}

    /**
     * The client commands, each made only when asked for: picocli builds a command's model by
     * reflection when it is added, and building all of them cost about half of a CLI call's
     * wall time (issue 17), so a call adds just the one it runs (see {@link #addTo(CommandLine, String, String)}).
     */
    private static final List<Lazy> COMMANDS = List.of(
            new Lazy(RegionCommands.class, RegionCommands::new),
            new Lazy(VpcCommands.class, VpcCommands::new),
            new Lazy(ResourceGroupCommands.class, ResourceGroupCommands::new),
            new Lazy(WorkspaceCommands.class, WorkspaceCommands::new),
            new Lazy(DataSourceCommands.class, DataSourceCommands::new),
            new Lazy(ImageCommands.class, ImageCommands::new),
            new Lazy(DataServiceCommands.class, DataServiceCommands::new),
            new Lazy(UserCommands.class, UserCommands::new),
            new Lazy(AuditCommands.class, AuditCommands::new),
            new Lazy(AlertCommands.class, AlertCommands::new),
            new Lazy(OrderCommands.class, OrderCommands::new),
            new Lazy(BillCommands.class, BillCommands::new),
            new Lazy(ClockCommands.class, ClockCommands::new),
            new Lazy(BackupCommand.class, BackupCommand::new),
            new Lazy(InstanceCommands.class, InstanceCommands::new),
            new Lazy(InstanceCommands.Run.class, InstanceCommands.Run::new),
            new Lazy(InstanceCommands.Advise.class, InstanceCommands.Advise::new),
            new Lazy(ScheduleCommands.class, ScheduleCommands::new),
            new Lazy(BudgetCommands.class, BudgetCommands::new),
            new Lazy(LoginCommands.Login.class, LoginCommands.Login::new),
            new Lazy(LoginCommands.Logout.class, LoginCommands.Logout::new));

    /** A command known by its class's annotation (names are read without building anything), made on demand. */
    private record Lazy(Class<? extends ClientCommand> type, Supplier<ClientCommand> make) {
        boolean answersTo(String name) {
            return answers(type.getAnnotation(Command.class), name);
        }
    }

    /** Every client command (help, completion, tests). */
    public static void addTo(CommandLine root) {
        addTo(root, null, null);
    }

    /**
     * The client command named {@code only} (a name or alias, as typed first on the command line), or
     * every one when {@code only} is null or names none of them. Of a group's subcommands ({@code rg
     * list}), only the one named {@code next} is built when it names one: picocli reads every
     * annotation of a subcommand's method and parameters, and a group has up to twenty.
     */
    public static void addTo(CommandLine root, String only, String next) {
        var wanted = named(only);
        if (wanted.isPresent()) {
            root.addSubcommand(withSubcommands(wanted.get().make().get(), next));
            configure(root);
            return;
        }
        COMMANDS.forEach(c -> root.addSubcommand(withSubcommands(c.make().get(), null)));
        root.addSubcommand(new Completion());
        configure(root);
    }

    /** Whether {@code name} (as typed first on the command line) is a client command's name or alias. */
    public static boolean names(String name) {
        return named(name).isPresent();
    }

    private static Optional<Lazy> named(String name) {
        return COMMANDS.stream().filter(c -> name != null && c.answersTo(name)).findFirst();
    }

    /**
     * A command with its method subcommands ({@link ClientCommand} turns picocli's own adding of them
     * off): the one {@code next} names, or all of them when it names none (help, a typo's suggestions).
     */
    private static CommandLine withSubcommands(ClientCommand command, String next) {
        CommandLine cl = new CommandLine(command);
        List<Method> methods = CommandLine.getCommandMethods(command.getClass(), null);
        List<Method> named = methods.stream().filter(m -> next != null && answers(m.getAnnotation(Command.class), next)).toList();
        for (Method m : named.isEmpty() ? methods : named) {
            CommandLine sub = new CommandLine(m);
            // added this way the subcommand does not inherit its group's -h/--help (the group's
            // scope is read as LOCAL), and `srg rg create --help` was a usage error pointing at
            // itself (docs/cli.md: every command has --help). A plain usage-help option, not
            // picocli's help mixin: a mixin added after a method command's own parameters would
            // shift the values picocli passes to the method
            sub.getCommandSpec().addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                    .description("Show this help message and exit.").build());
            cl.addSubcommand(sub);
        }
        return cl;
    }

    private static boolean answers(Command c, String name) {
        return c.name().equals(name) || List.of(c.aliases()).contains(name);
    }

    private static void configure(CommandLine root) {
        root.setCaseInsensitiveEnumValuesAllowed(true);
        root.registerConverter(java.math.BigDecimal.class, ClientCommands::decimal);
        root.setParameterExceptionHandler(ClientCommands::badUsage);
        root.setExecutionExceptionHandler(new ErrorReport(root.getExecutionExceptionHandler()));
    }

    /** A number as the user typed it; refused in words, not with the JDK's parse exception. */
    static java.math.BigDecimal decimal(String value) {
        try {
            return new java.math.BigDecimal(value.strip());
        } catch (NumberFormatException e) {
            throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a number (e.g. 0.25, 2 or 2.5)");
        }
    }

    /** A usage error: what is wrong and where the help is, as kubectl does (not the whole help page). */
    private static int badUsage(picocli.CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("error: " + ex.getMessage());
        picocli.CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.print("Usage: " + cl.getHelp().synopsis(0));
        err.println("see '" + cl.getCommandSpec().qualifiedName() + " --help'");
        err.flush();
        return USAGE;
    }

    /** Makes the client commands read {@code env} instead of the process environment (for tests). */
    public static void useEnvironment(CommandLine root, Map<String, String> env) {
        for (CommandLine sub : root.getSubcommands().values()) {
            if (sub.getCommand() instanceof ClientCommand c) {
                c.env = Map.copyOf(env);
            }
            useEnvironment(sub, env);
        }
    }

    /** Turns a client command's failure into one "error: ..." line and an exit code, never a stack trace. */
    private record ErrorReport(IExecutionExceptionHandler next) implements IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parsed) throws Exception {
            if (!isClient(cl)) {
                return next.handleExecutionException(ex, cl, parsed);
            }
            PrintWriter err = cl.getErr();
            int exit;
            String message;
            if (ex instanceof ApiClient.ApiException e) {
                exit = e.status() == 0 ? (e.code().equals("Connection") ? UNREACHABLE : FAILED)
                        : e.status() < 500 ? REFUSED : FAILED;
                message = e.getMessage() + " (" + e.code() + (e.field() == null ? "" : ", " + flagOf(cl, e.field())) + ")";
            } else if (ex instanceof CliException e) {
                exit = e.exitCode();
                message = e.getMessage();
            } else if (ex instanceof java.io.IOException e) {
                exit = FAILED;
                message = localFailure(e);
            } else {
                exit = FAILED;
                message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            }
            err.println("error: " + message);
            err.flush();
            return exit;
        }

        /** A file the command reads or writes, said in words (the JDK's exceptions carry only the path). */
        static String localFailure(java.io.IOException e) {
            if (e instanceof java.nio.file.NoSuchFileException f) {
                return "no such file: " + f.getFile();
            }
            if (e instanceof java.nio.file.AccessDeniedException f) {
                return "permission denied: " + f.getFile();
            }
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }

        /**
         * The flag the user typed for an API field ({@code cu} -> {@code --cu}, {@code resourceGroupId} ->
         * {@code --rg}, {@code specCu} -> {@code --spec-cu}), read from the command's own options;
         * {@code field NAME} when no option carries it (a body the CLI built itself).
         */
        static String flagOf(CommandLine cl, String field) {
            String top = field.replaceAll("[.\\[].*", "");
            for (picocli.CommandLine.Model.OptionSpec o : cl.getCommandSpec().options()) {
                if (o.inherited() || o.scopeType() == picocli.CommandLine.ScopeType.INHERIT) {
                    continue; // --url, --token, --token-file, -o: never an API field (tokenId is not --token)
                }
                String camel = camel(o.longestName().replaceFirst("^-+", ""));
                if (top.equals(camel) || top.equals(camel + "Id") || ALIASES.getOrDefault(camel, List.of()).contains(top)
                        || top.equals(plural(camel)) || top.equals(camel + "Ids")) {
                    return o.longestName();
                }
            }
            return "field " + field;
        }

        /** Flags whose API field is not their camel case (plus "Id"); {@code --set} of rg quotas and rg concurrency. */
        private static final Map<String, List<String>> ALIASES = Map.of("rg", List.of("resourceGroupId"),
                "group", List.of("resourceGroupId", "apiGroupId"), "ws", List.of("workspaceId"), "cycle", List.of("billingCycle"),
                "timeout", List.of("timeoutSeconds"), "defaultRg", List.of("defaultResourceGroupId"),
                "set", List.of("quotas", "schedulingMaxRunning"), "param", List.of("parameters", "params"));

        /** A repeatable flag's list field: {@code --policy} fills {@code policies}, {@code --threshold} {@code thresholds}. */
        private static String plural(String camel) {
            return camel.endsWith("y") ? camel.substring(0, camel.length() - 1) + "ies" : camel + "s";
        }

        private static String camel(String flag) {
            StringBuilder b = new StringBuilder();
            boolean up = false;
            for (char ch : flag.toCharArray()) {
                if (ch == '-') {
                    up = true;
                } else {
                    b.append(up ? Character.toUpperCase(ch) : ch);
                    up = false;
                }
            }
            return b.toString();
        }

        private static boolean isClient(CommandLine cl) {
            for (CommandLine c = cl; c != null; c = c.getParent()) {
                if (c.getCommand() instanceof ClientCommand) {
                    return true;
                }
            }
            return false;
        }
    }
}
