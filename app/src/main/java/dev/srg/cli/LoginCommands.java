package dev.srg.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code srg login} and {@code srg logout}: the profile later commands fall back on. */
final class LoginCommands {
    private LoginCommands() {}

    @Command(name = "login", mixinStandardHelpOptions = true,
            description = "Check a token against a server and save both as the profile later commands use.")
    static final class Login extends ClientCommand {
        @Option(names = "--token-stdin", description = "read the token from standard input")
        boolean tokenStdin;

        @Option(names = {"-w", "--workspace"}, paramLabel = "WS", description = "the workspace commands use when they name none (name or id)")
        String workspace;

        @Override
        public void run() {
            if (tokenStdin) {
                token = readStdinLine("token");
            }
            if (token == null && tokenFile == null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing the token: --token-file FILE or --token-stdin");
            }
            ApiClient api = api();
            api.get(API + "/regions");
            String ws = workspace == null ? null : api.get(path("/workspaces/%s", workspace)).path("id").asString();
            Path file = new Profile(api.baseUrl(), token != null ? token : readTokenFile(tokenFile), ws).save(env);
            out().done("Logged in to " + api.baseUrl() + (ws == null ? "" : ", workspace " + ws) + "; profile saved in " + file);
        }
    }

    @Command(name = "logout", mixinStandardHelpOptions = true, description = "Delete the saved profile.")
    static final class Logout extends ClientCommand {
        @Override
        public void run() {
            Path file = Profile.path(env);
            out().done(Profile.delete(env) ? "Deleted " + file : "Not logged in (no " + file + ")");
        }
    }
}
