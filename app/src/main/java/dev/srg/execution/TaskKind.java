package dev.srg.execution;

import dev.srg.admission.UsageType;
import dev.srg.quantity.ComputeUnits;
import java.util.Map;
import java.util.Optional;

/**
 * A kind of work srg runs (SHELL, PYTHON; later DATA_INTEGRATION, the DataService service, ...).
 * A kind declares what it counts against (its usage type, SPEC ADM-1), its shape, its per-task CU
 * limits (SPEC ADM-3), which payload it takes from a submission and how it launches. Kinds are
 * registered in a {@link TaskKinds} built by the composition root: adding a kind is one class and
 * one registration line. Backends never see kinds, only the {@link LaunchCommand} a kind builds.
 */
public interface TaskKind {
    /** The built-in shell kind: the payload's {@code script} run with bash. */
    TaskKind SHELL = new ScriptKind("SHELL", "bash", "script.sh");
    /** The built-in Python kind: the payload's {@code script} run with the host's python3. */
    TaskKind PYTHON = new ScriptKind("PYTHON", "python3", "script.py");

    /** The {@code type} of a submission, in UPPER_SNAKE, e.g. {@code SHELL}. */
    String name();

    /** What the instances count against in admission, quotas and usage (ADM-1). */
    UsageType usageType();

    /** Run-to-completion task (the default) or long-running service. */
    default WorkShape shape() {
        return WorkShape.TASK;
    }

    /**
     * Whether right-sizing advises on its recurring tasks (SPEC BEY-4): the work users size and
     * schedule; not what srg submits for them (an image build, a connectivity test) nor services.
     */
    default boolean rightSized() {
        return shape() == WorkShape.TASK;
    }

    /** The most CU one instance may ask (ADM-3). */
    ComputeUnits maxCu();

    /** Above this many CU a submission is accepted with a warning (ADM-3), if the kind warns at all (by default not). */
    default Optional<ComputeUnits> warnAboveCu() {
        return Optional.empty();
    }

    /**
     * Checks the payload fields of a submission (those given, e.g. {@code script} or {@code sync})
     * and returns the payload to store. Refuses with a 400 naming the field: a field this kind does
     * not take, a missing one, or one of the wrong shape.
     */
    Map<String, Object> payload(Map<String, Object> submittedFields);

    /**
     * Checks what depends on the task's workspace (e.g. the data sources a sync job names), once the
     * caller is known to be a member of it; returns the payload to store. Most kinds have nothing to add.
     */
    default Map<String, Object> resolve(String workspaceId, String taskName, Map<String, Object> payload) {
        return payload;
    }

    /**
     * Refuses, with a 400 naming it, the first submitted field not among {@code taken}: a kind
     * never ignores a payload field it does not take. {@code takes} ends the message ("a script").
     */
    static void requireOnly(Map<String, Object> submittedFields, java.util.Set<String> taken, String who, String takes) {
        for (String field : submittedFields.keySet()) {
            if (!taken.contains(field)) {
                throw dev.srg.error.SrgException.invalid(field,
                        "InvalidParameter." + Character.toUpperCase(field.charAt(0)) + field.substring(1),
                        who + " takes " + takes + ", not '" + field + "'");
            }
        }
    }

    /** How an instance of this kind runs, from its stored payload. */
    LaunchCommand command(Map<String, Object> payload);

    /**
     * The networks an instance of this kind uses, of its group's (NET-5: every bound VPC, in binding
     * order). Most kinds use them all; DataService only the first binding (NET-6).
     */
    default NetworkContext network(NetworkContext ofGroup) {
        return ofGroup;
    }
}
