package dev.srg.server;

import dev.srg.execution.ExecutionBackendFactory;
import dev.srg.execution.TaskKind;
import java.util.List;
import java.util.Map;

/**
 * What the composition root adds beyond the built-in kinds and the {@code local} backend: more
 * task kinds and more backends (by the name a region gives in the regions file). Production passes
 * {@link #NONE}; tests use it to run a test kind or a test backend through the real server.
 */
public record ServerExtensions(List<TaskKind> kinds, Map<String, ExecutionBackendFactory> backends) {
    public static final ServerExtensions NONE = new ServerExtensions(List.of(), Map.of());

    public ServerExtensions {
        kinds = List.copyOf(kinds);
        backends = Map.copyOf(backends);
    }
}
