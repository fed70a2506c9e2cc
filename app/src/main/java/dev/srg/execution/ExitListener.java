package dev.srg.execution;

/** Receives the outcome of instances; see {@link ExecutionBackend} for when it is called. */
@FunctionalInterface
public interface ExitListener {

    /** Called once per instance per backend lifetime, from a backend thread; must not block long. */
    void onExit(String instanceId, ExitStatus status);
}
