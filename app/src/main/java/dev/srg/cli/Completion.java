package dev.srg.cli;

import java.io.PrintWriter;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code srg completion [bash|zsh]}: the completion script picocli generates from the command tree
 * itself. The shell is optional and may be named as kubectl and gh users type it; the script is
 * the same for both (it loads zsh's bash compatibility itself).
 */
@Command(name = "completion", helpCommand = true, mixinStandardHelpOptions = true,
        description = {"Print a completion script for bash or zsh (commands and options):",
                "  source <(srg completion bash)          (this shell)",
                "  srg completion bash > /etc/bash_completion.d/srg"})
final class Completion implements Runnable {
    enum Shell { bash, zsh }

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "bash|zsh", description = "the shell (default bash; the script serves both)")
    Shell shell;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        // '\n', not println: a script with other line ends fails in odd ways
        out.print(AutoComplete.bash(spec.root().name(), spec.root().commandLine()));
        out.print('\n');
        out.flush();
    }
}
