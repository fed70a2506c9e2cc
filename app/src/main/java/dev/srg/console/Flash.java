package dev.srg.console;

import java.util.List;

/**
 * A one-time message shown on the next page (after a redirect), of a {@link Kind};
 * {@code warnings} (the manager's, e.g. a scale-in below use) are shown apart so they are not
 * missed; {@code link}, when not null, leads to what the action created (e.g. its order).
 */
public record Flash(Kind kind, String message, List<String> warnings, Link link) {
    public record Link(String href, String text) {}

    /** What the message tells: it also names the message's style (its CSS class). */
    public enum Kind {
        OK, ERROR,
        /** A secret shown once (a new token). */
        SECRET;

        public String css() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Read out by assistive technology at once (an alert), or politely (a status). */
        public String role() {
            return this == ERROR ? "alert" : "status";
        }
    }

    public Flash {
        java.util.Objects.requireNonNull(kind, "kind is null");
        warnings = List.copyOf(warnings);
    }

    public static Flash ok(String message) {
        return new Flash(Kind.OK, message, List.of(), null);
    }

    public static Flash error(String message) {
        return new Flash(Kind.ERROR, message, List.of(), null);
    }
}
