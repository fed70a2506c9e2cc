package dev.srg.execution;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import dev.srg.quantity.ComputeUnits;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A compute task that runs a {@code script} with an interpreter (SHELL, PYTHON): SCHEDULING, at most 64 CU. */
public final class ScriptKind implements TaskKind {
    /** ADM-3: compute tasks at most 64 CU, with a warning above 16. */
    public static final ComputeUnits COMPUTE_MAX = ComputeUnits.ofCu(64);
    public static final ComputeUnits COMPUTE_WARN = ComputeUnits.ofCu(16);
    public static final int MAX_SCRIPT_CHARS = 256 * 1024;

    private final String name;
    private final String interpreter;
    private final String fileName;
    private final WorkShape shape;

    public ScriptKind(String name, String interpreter, String fileName) {
        this(name, interpreter, fileName, WorkShape.TASK);
    }

    /** A script kind of either shape (a SERVICE script kind is for tests until a public service kind exists). */
    public ScriptKind(String name, String interpreter, String fileName, WorkShape shape) {
        this.name = requireNonNull(name, "name is null");
        this.interpreter = requireNonNull(interpreter, "interpreter is null");
        this.fileName = requireNonNull(fileName, "fileName is null");
        this.shape = requireNonNull(shape, "shape is null");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public UsageType usageType() {
        return UsageType.SCHEDULING;
    }

    @Override
    public WorkShape shape() {
        return shape;
    }

    @Override
    public ComputeUnits maxCu() {
        return COMPUTE_MAX;
    }

    @Override
    public Optional<ComputeUnits> warnAboveCu() {
        return Optional.of(COMPUTE_WARN);
    }

    @Override
    public Map<String, Object> payload(Map<String, Object> submittedFields) {
        TaskKind.requireOnly(submittedFields, java.util.Set.of("script"), "a " + name + " task", "a script");
        Object script = submittedFields.get("script");
        if (script == null || (script instanceof String s && s.isBlank())) {
            throw SrgException.invalid("script", "MissingParameter", "script is required for a " + name + " task");
        }
        if (!(script instanceof String text)) {
            throw SrgException.invalid("script", "InvalidParameter.Script", "script must be a string");
        }
        if (text.length() > MAX_SCRIPT_CHARS) {
            throw SrgException.invalid("script", "InvalidParameter.Script", "script is longer than " + MAX_SCRIPT_CHARS + " characters");
        }
        return Map.of("script", text);
    }

    @Override
    public LaunchCommand command(Map<String, Object> payload) {
        Object script = payload.get("script");
        if (!(script instanceof String text)) {
            throw new IllegalArgumentException("a " + name + " payload needs a script");
        }
        return new LaunchCommand(List.of(interpreter, fileName), Map.of(fileName, text), Map.of());
    }

    @Override
    public String toString() {
        return name;
    }
}
