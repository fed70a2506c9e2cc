package dev.srg.execution;

/**
 * Builds a backend that reports outcomes to the given listener. The dispatcher builds its
 * backends this way, so that a backend and the listener it reports to need no late wiring.
 */
@FunctionalInterface
public interface ExecutionBackendFactory {
    ExecutionBackend create(ExitListener listener);
}
