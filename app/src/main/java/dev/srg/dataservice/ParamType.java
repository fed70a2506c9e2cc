package dev.srg.dataservice;

import dev.srg.error.SrgException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * The types of an API's request parameters (DS-1). A value arrives as text (a query parameter, or a
 * JSON scalar's text) and is parsed strictly here: what does not parse is a 400 naming the
 * parameter, never something passed on to the database. The parsed value travels to the worker in
 * its canonical text and is bound there with the JDBC setter of its type, never spliced into SQL.
 */
public enum ParamType {
    STRING, INT, LONG, DOUBLE, BOOLEAN, DATE, DATETIME;

    static final int MAX_STRING = 4096;
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,19}");

    /** The canonical text of {@code raw} for this type, or a 400 naming {@code field}. */
    public String canonical(String field, String raw) {
        if (raw == null) {
            throw bad(field, "a value");
        }
        try {
            return switch (this) {
                case STRING -> {
                    if (raw.length() > MAX_STRING || raw.indexOf('\0') >= 0) {
                        throw bad(field, "text of at most " + MAX_STRING + " characters without NUL");
                    }
                    yield raw;
                }
                case INT -> {
                    if (!INTEGER.matcher(raw).matches()) {
                        throw bad(field, "an int");
                    }
                    yield Integer.toString(Integer.parseInt(raw));
                }
                case LONG -> {
                    if (!INTEGER.matcher(raw).matches()) {
                        throw bad(field, "a long");
                    }
                    yield Long.toString(Long.parseLong(raw));
                }
                case DOUBLE -> {
                    if (raw.isBlank() || raw.length() > 64 || !raw.strip().equals(raw) || raw.matches(".*[A-Za-z&&[^eE]].*")) {
                        throw bad(field, "a finite double");
                    }
                    double d = Double.parseDouble(raw);
                    if (!Double.isFinite(d)) {
                        throw bad(field, "a finite double");
                    }
                    yield Double.toString(d);
                }
                case BOOLEAN -> switch (raw) {
                    case "true", "false" -> raw;
                    default -> throw bad(field, "true or false");
                };
                case DATE -> LocalDate.parse(raw).toString();
                case DATETIME -> dateTime(raw).toString();
            };
        } catch (NumberFormatException | DateTimeParseException e) {
            throw bad(field, this == DATE ? "a date (2024-01-31)" : this == DATETIME ? "a date-time (2024-01-31T12:00:00)"
                    : "a " + name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** ISO local date-time; one with an offset is taken in UTC. */
    static LocalDateTime dateTime(String raw) {
        try {
            return LocalDateTime.parse(raw);
        } catch (DateTimeParseException e) {
            return OffsetDateTime.parse(raw).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
        }
    }

    private SrgException bad(String field, String what) {
        return SrgException.invalid(field, "InvalidParameter.DataService.ParameterValue",
                "parameter '" + field + "' must be " + what + " (" + name() + ")");
    }
}
