package dev.srg.execution;

import dev.srg.error.SrgException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kinds this server runs, by name. Built once in the composition root: the built-in kinds
 * that really work, plus any an extension adds. An unknown kind is refused at submission, never
 * run as something else.
 */
public final class TaskKinds {
    private final Map<String, TaskKind> byName;
    private final List<String> names;

    public TaskKinds(Collection<TaskKind> kinds) {
        Map<String, TaskKind> map = new LinkedHashMap<>();
        for (TaskKind k : kinds) {
            if (!k.name().matches("[A-Z][A-Z0-9_]*")) {
                throw new IllegalArgumentException("a kind's name is UPPER_SNAKE: " + k.name());
            }
            if (map.putIfAbsent(k.name(), k) != null) {
                throw new IllegalArgumentException("kind " + k.name() + " is registered twice");
            }
        }
        this.byName = Map.copyOf(map);
        this.names = List.copyOf(map.keySet());
    }

    /** The built-in kinds: SHELL and PYTHON. */
    public static List<TaskKind> builtIn() {
        return List.of(TaskKind.SHELL, TaskKind.PYTHON);
    }

    public Optional<TaskKind> find(String name) {
        return Optional.ofNullable(name == null ? null : byName.get(name));
    }

    /** The kind a submission's {@code type} names, or a 400 that lists the registered kinds. */
    public TaskKind require(String field, String name) {
        if (name == null || name.isBlank()) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required: one of " + names);
        }
        return find(name).orElseThrow(() -> SrgException.invalid(field, "InvalidParameter.Type",
                "'" + name + "' is not a kind of task this server runs; kinds: " + names));
    }

    /** The names of the kinds right-sizing advises on (SPEC BEY-4). */
    public List<String> rightSized() {
        return byName.values().stream().filter(TaskKind::rightSized).map(TaskKind::name).sorted().toList();
    }

    /** The registered names, in registration order. */
    public List<String> names() {
        return names;
    }
}
