package dev.srg.console;

import java.util.List;

/**
 * A one-time message shown on the next page (after a redirect): {@code kind} is ok or error;
 * {@code warnings} (the manager's, e.g. a scale-in below use) are shown apart so they are not
 * missed; {@code link}, when not null, leads to what the action created (e.g. its order).
 */
public record Flash(String kind, String message, List<String> warnings, Link link) {
    public record Link(String href, String text) {}

    public Flash {
        warnings = List.copyOf(warnings);
    }

    public static Flash ok(String message) {
        return new Flash("ok", message, List.of(), null);
    }

    public static Flash error(String message) {
        return new Flash("error", message, List.of(), null);
    }
}
