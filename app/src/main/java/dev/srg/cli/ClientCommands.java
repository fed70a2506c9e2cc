package dev.srg.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
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

    public static void addTo(CommandLine root) {
        for (ClientCommand c : List.of(new RegionCommands(), new VpcCommands(), new ResourceGroupCommands(), new WorkspaceCommands(),
                new DataSourceCommands(), new UserCommands(), new AuditCommands(), new AlertCommands(), new OrderCommands(), new BillCommands(), new ClockCommands(), new InstanceCommands(), new InstanceCommands.Run(),
                new LoginCommands.Login(), new LoginCommands.Logout())) {
            root.addSubcommand(c);
        }
        root.setExecutionExceptionHandler(new ErrorReport(root.getExecutionExceptionHandler()));
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
                message = e.getMessage() + " (" + e.code() + (e.field() == null ? "" : ", field " + e.field()) + ")";
            } else if (ex instanceof CliException e) {
                exit = e.exitCode();
                message = e.getMessage();
            } else {
                exit = FAILED;
                message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            }
            err.println("error: " + message);
            err.flush();
            return exit;
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
