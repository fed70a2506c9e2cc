package dev.srg.group;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Optional;

/**
 * A five-field cron expression ({@code minute hour day-of-month month day-of-week}) read in a time
 * zone (SPEC BEY-2): numbers, {@code *}, ranges {@code a-b}, steps {@code * /n} and {@code a-b/n},
 * lists, month names JAN..DEC and day names SUN..SAT (0 and 7 are Sunday). As in classic cron,
 * when both day fields are restricted a day matches either. Local times that a daylight saving
 * change skips fire at the first instant after the gap; times it repeats fire once, at the
 * earlier offset.
 */
public final class Cron {
    private static final String[] MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    private static final String[] WEEKDAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

    private final String expression;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet days;
    private final BitSet months;
    private final BitSet weekdays;
    private final boolean anyDay;
    private final boolean anyWeekday;

    private Cron(String expression, BitSet minutes, BitSet hours, BitSet days, BitSet months, BitSet weekdays,
                 boolean anyDay, boolean anyWeekday) {
        this.expression = requireNonNull(expression, "expression is null");
        this.minutes = minutes;
        this.hours = hours;
        this.days = days;
        this.months = months;
        this.weekdays = weekdays;
        this.anyDay = anyDay;
        this.anyWeekday = anyWeekday;
    }

    /**
     * Parses an expression.
     *
     * @throws IllegalArgumentException saying what is wrong, for a message to the user
     */
    public static Cron parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("a cron expression is required (minute hour day-of-month month day-of-week)");
        }
        String[] f = expression.trim().split("\\s+");
        if (f.length != 5) {
            throw new IllegalArgumentException("a cron expression has 5 fields (minute hour day-of-month month day-of-week), got "
                    + f.length);
        }
        BitSet weekdays = field("day-of-week", f[4], 0, 7, WEEKDAYS, 0);
        if (weekdays.get(7)) {
            weekdays.set(0);
            weekdays.clear(7);
        }
        return new Cron(expression.trim(), field("minute", f[0], 0, 59, null, 0), field("hour", f[1], 0, 23, null, 0),
                field("day-of-month", f[2], 1, 31, null, 0), field("month", f[3], 1, 12, MONTHS, 1), weekdays,
                f[2].equals("*"), f[4].equals("*"));
    }

    private static BitSet field(String name, String text, int lo, int hi, String[] names, int firstName) {
        BitSet set = new BitSet(hi + 1);
        for (String part : text.split(",", -1)) {
            String range = part;
            int step = 1;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                range = part.substring(0, slash);
                step = number(name, part.substring(slash + 1), 1, hi - lo + 1, null, 0);
            }
            int from;
            int to;
            if (range.equals("*")) {
                from = lo;
                to = hi;
            } else {
                int dash = range.indexOf('-');
                from = number(name, dash < 0 ? range : range.substring(0, dash), lo, hi, names, firstName);
                to = dash < 0 ? (slash >= 0 ? hi : from) : number(name, range.substring(dash + 1), lo, hi, names, firstName);
                if (to < from) {
                    throw new IllegalArgumentException(name + " range '" + range + "' ends before it starts");
                }
            }
            for (int v = from; v <= to; v += step) {
                set.set(v);
            }
        }
        return set;
    }

    private static int number(String name, String text, int lo, int hi, String[] names, int firstName) {
        if (names != null) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(text.toUpperCase(Locale.ROOT))) {
                    return i + firstName;
                }
            }
        }
        try {
            int v = Integer.parseInt(text);
            if (v >= lo && v <= hi) {
                return v;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(name + " '" + text + "' is not a value from " + lo + " to " + hi
                + (names == null ? "" : " or a name"));
    }

    /** Whether this expression fires at the start of this local minute. */
    public boolean matches(LocalDateTime t) {
        return minutes.get(t.getMinute()) && hours.get(t.getHour()) && months.get(t.getMonthValue()) && dayMatches(t);
    }

    private boolean dayMatches(LocalDateTime t) {
        boolean dom = days.get(t.getDayOfMonth());
        boolean dow = weekdays.get(t.getDayOfWeek().getValue() % 7);
        if (anyDay || anyWeekday) {
            return dom && dow;
        }
        return dom || dow;
    }

    /** The latest firing at or before {@code t} and after {@code notBefore}, if any. */
    public Optional<Instant> latestAtOrBefore(Instant t, Instant notBefore, ZoneId zone) {
        LocalDateTime local = LocalDateTime.ofInstant(t, zone).truncatedTo(ChronoUnit.MINUTES);
        LocalDateTime floor = LocalDateTime.ofInstant(notBefore, zone).truncatedTo(ChronoUnit.MINUTES).minusDays(1);
        while (!local.isBefore(floor)) {
            if (!months.get(local.getMonthValue())) {
                local = local.withDayOfMonth(1).withHour(0).withMinute(0).minusMinutes(1);
            } else if (!dayMatches(local)) {
                local = local.withHour(0).withMinute(0).minusMinutes(1);
            } else if (!hours.get(local.getHour())) {
                local = local.withMinute(0).minusMinutes(1);
            } else if (!minutes.get(local.getMinute())) {
                local = local.minusMinutes(1);
            } else {
                Instant fired = local.atZone(zone).toInstant();
                if (fired.isAfter(notBefore) && !fired.isAfter(t)) {
                    return Optional.of(fired);
                }
                if (!fired.isAfter(notBefore)) {
                    return Optional.empty();
                }
                local = local.minusMinutes(1);
            }
        }
        return Optional.empty();
    }

    /** The first firing strictly after {@code t} and before {@code notAfter}, if any. */
    public Optional<Instant> firstAfter(Instant t, Instant notAfter, ZoneId zone) {
        LocalDateTime local = LocalDateTime.ofInstant(t, zone).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        LocalDateTime ceiling = LocalDateTime.ofInstant(notAfter, zone).plusDays(1);
        while (!local.isAfter(ceiling)) {
            if (!months.get(local.getMonthValue())) {
                local = local.withDayOfMonth(1).withHour(0).withMinute(0).plusMonths(1);
            } else if (!dayMatches(local)) {
                local = local.withHour(0).withMinute(0).plusDays(1);
            } else if (!hours.get(local.getHour())) {
                local = local.withMinute(0).plusHours(1);
            } else if (!minutes.get(local.getMinute())) {
                local = local.plusMinutes(1);
            } else {
                Instant fired = local.atZone(zone).toInstant();
                if (fired.isAfter(notAfter)) {
                    return Optional.empty();
                }
                if (fired.isAfter(t)) {
                    return Optional.of(fired);
                }
                local = local.plusMinutes(1);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return expression;
    }
}
