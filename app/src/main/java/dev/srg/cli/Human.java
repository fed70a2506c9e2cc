package dev.srg.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Durations, sizes and ages as people read them in tables (the JSON keeps the exact values). */
final class Human {
    private Human() {}

    /** {@code 850ms}, {@code 12.3s}, {@code 1m 23s}, {@code 2h 5m}, {@code 3d 4h}. */
    static String duration(long millis) {
        if (millis < 0) {
            return "-" + duration(-millis);
        }
        if (millis < 1000) {
            return millis + "ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0).replace(".0s", "s");
        }
        Duration d = Duration.ofMillis(millis);
        if (d.toHours() < 1) {
            return d.toMinutesPart() + "m " + d.toSecondsPart() + "s";
        }
        if (d.toDays() < 1) {
            return d.toHoursPart() + "h " + d.toMinutesPart() + "m";
        }
        return d.toDays() + "d " + d.toHoursPart() + "h";
    }

    /**
     * An amount as people pay it: rounded half up to the currency's cents, with its currency
     * ({@code 0.24 USD}); an amount that rounds to nothing but is not zero says so ({@code < 0.01 USD}).
     * The ledger and the JSON keep the exact amount.
     */
    static String cents(tools.jackson.databind.JsonNode amount, String currency) {
        if (amount == null || !amount.isNumber()) {
            return null;
        }
        java.math.BigDecimal exact = amount.decimalValue();
        java.math.BigDecimal rounded = exact.setScale(2, java.math.RoundingMode.HALF_UP);
        String suffix = currency == null || currency.isEmpty() ? "" : " " + currency;
        if (rounded.signum() == 0 && exact.signum() != 0) {
            return "< 0.01" + suffix;
        }
        return rounded.toPlainString() + suffix;
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 2 GiB}. */
    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        String n = v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v).replace(".0", "");
        return n + " " + units[u];
    }

    /** How far the server's simulated clock is ahead of this machine's (zero for a server on real time). */
    private static volatile Duration serverAhead = Duration.ZERO;

    /** The time an answer carried ({@code Srg-Clock}: the server runs on a simulated clock). */
    static void serverClock(String iso) {
        try {
            serverAhead = iso == null ? Duration.ZERO : Duration.between(Instant.now(), Instant.parse(iso));
        } catch (DateTimeParseException e) {
            serverAhead = Duration.ZERO;   // not a time: ages on this machine's clock
        }
    }

    /** Now as the server reckons it: ages and "--since" are the server's, simulated clock included. */
    static Instant now() {
        return Instant.now().plus(serverAhead);
    }

    /** The age of an ISO-8601 instant ({@code 5m ago}, {@code in 3d}); the text itself when it is no instant; null for null. */
    static String age(String iso, Instant now) {
        if (iso == null) {
            return null;
        }
        Instant t;
        try {
            t = Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return iso;
        }
        long seconds = Duration.between(t, now).toSeconds();
        String span = span(Math.abs(seconds));
        return seconds >= 0 ? span + " ago" : "in " + span;
    }

    private static String span(long s) {
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m";
        }
        if (s < 86_400) {
            return s / 3600 + "h";
        }
        return s / 86_400 + "d";
    }
}
