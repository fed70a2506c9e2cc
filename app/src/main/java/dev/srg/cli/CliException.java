package dev.srg.cli;

/** A client-side failure with the exit code it maps to (2 for bad usage, 1 otherwise). */
final class CliException extends RuntimeException {
    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
