package dev.srg.execution;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a backend runs for an instance, as a kind built it: the program and its arguments (the
 * program found on the task's PATH), files placed in the task's working directory first, and extra
 * environment.
 *
 * <p>{@code imageBuilder}: the command is srg's own image builder (IMAGE_BUILD, docs/images.md),
 * not user code: a backend runs it as root in the host's network, inside the task's limits, and
 * hands it the task's uid, gid and network namespace, which it drops to for the user's build
 * script. Only a kind srg ships sets it; a backend that cannot do that refuses the launch.
 */
public record LaunchCommand(List<String> argv, Map<String, String> files, Map<String, String> env, boolean imageBuilder) {

    /** A task's command (not the image builder). */
    public LaunchCommand(List<String> argv, Map<String, String> files, Map<String, String> env) {
        this(argv, files, env, false);
    }

    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public LaunchCommand {
        argv = List.copyOf(argv);
        files = Map.copyOf(files);
        env = Map.copyOf(env);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv is empty");
        }
        for (String a : argv) {
            if (a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an argument contains NUL");
            }
        }
        for (String name : files.keySet()) {
            // plain names only: a kind must not write outside the work directory
            if (!FILE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid file name: " + name);
            }
        }
        requireNonNull(env, "env is null");
    }
}
