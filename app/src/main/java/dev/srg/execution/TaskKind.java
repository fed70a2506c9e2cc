package dev.srg.execution;

/** What interprets a task's script. */
public enum TaskKind {
    /** Run with {@code bash}. */
    SHELL,
    /** Run with the host's {@code python3}. */
    PYTHON
}
