package dev.srg.console;

/** A one-time message shown on the next page (after a redirect): {@code kind} is ok or error. */
public record Flash(String kind, String message) {
    public static Flash ok(String message) {
        return new Flash("ok", message);
    }

    public static Flash error(String message) {
        return new Flash("error", message);
    }
}
