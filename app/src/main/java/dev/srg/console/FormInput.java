package dev.srg.console;

import dev.srg.error.SrgException;
import dev.srg.quantity.ComputeUnits;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A submitted form read into the types the managers take, refusing bad input with the same
 * field names and messages as the API's JSON parsing does (the form's inputs carry the API's field
 * names, so a refusal's {@code field} finds its input).
 */
final class FormInput {
    private final Map<String, List<String>> params;

    /** Refuses text PostgreSQL cannot keep as sent (a NUL, an unpaired surrogate), naming the field, as the API does. */
    FormInput(Map<String, List<String>> params) {
        for (var e : params.entrySet()) {
            String bad = dev.srg.error.Names.badText(e.getKey());
            for (String v : e.getValue()) {
                if (bad == null && v != null) {
                    bad = dev.srg.error.Names.badText(v);
                }
            }
            if (bad != null) {
                String field = dev.srg.error.Names.badText(e.getKey()) == null ? e.getKey() : null;
                throw SrgException.invalid(field, "InvalidParameter.Characters", (field == null ? "a field" : field) + " " + bad);
            }
        }
        this.params = params;
    }

    /** The typed values, to show them again after a refusal (never the CSRF token or a password). */
    Map<String, String> values() {
        Map<String, String> v = new LinkedHashMap<>();
        params.forEach((k, list) -> {
            if (!k.equals("_csrf") && !k.toLowerCase(java.util.Locale.ROOT).contains("password") && !k.equals("token")
                    && !list.isEmpty()) {
                v.put(k, list.get(0));
            }
        });
        return v;
    }

    /** The raw value, or null when absent. */
    String raw(String name) {
        List<String> list = params.get(name);
        return list == null || list.isEmpty() ? null : list.get(0);
    }

    /** The value without surrounding blanks, or null when absent or blank. */
    String text(String name) {
        String v = raw(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    List<String> all(String name) {
        return params.getOrDefault(name, List.of());
    }

    boolean checkbox(String name) {
        String v = raw(name);
        return v != null && !v.equals("false");
    }

    ComputeUnits cu(String name) {
        String v = text(name);
        if (v == null) {
            return null;
        }
        BigDecimal number;
        try {
            number = new BigDecimal(v);
        } catch (NumberFormatException e) {
            throw SrgException.invalid(name, "InvalidParameter.Type", name + " must be a number of CU (a multiple of 0.25)");
        }
        return ComputeUnits.parse(name, number);
    }

    BigDecimal decimal(String name) {
        String v = text(name);
        if (v == null) {
            return null;
        }
        BigDecimal number;
        try {
            number = new BigDecimal(v);
        } catch (NumberFormatException e) {
            throw SrgException.invalid(name, "InvalidParameter.Type", name + " must be a number");
        }
        return dev.srg.json.Json.bounded(name, number);
    }

    Integer integer(String name) {
        String v = text(name);
        if (v == null) {
            return null;
        }
        try {
            return Integer.valueOf(v);
        } catch (NumberFormatException e) {
            throw SrgException.invalid(name, "InvalidParameter.Type", name + " must be a whole number");
        }
    }

    <E extends Enum<E>> E enumValue(String name, Class<E> type) {
        String v = text(name);
        if (v == null) {
            return null;
        }
        try {
            return Enum.valueOf(type, v);
        } catch (IllegalArgumentException e) {
            throw SrgException.invalid(name, "InvalidParameter.Enum",
                    "'" + v + "' is not a valid " + name + "; valid values: " + Arrays.toString(type.getEnumConstants()));
        }
    }
}
