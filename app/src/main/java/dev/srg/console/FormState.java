package dev.srg.console;

import dev.srg.error.SrgException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * A form as last submitted and refused: the values typed (to show them again) and the refusal's
 * message, placed next to the field it names (the problem's {@code field}) when the form has that
 * field, or above the form's buttons when it names none of them.
 */
public record FormState(String form, Map<String, String> values, Map<String, String> fieldErrors, String error, String code) {
    public static final FormState NONE = new FormState("", Map.of(), Map.of(), null, null);

    public FormState {
        values = Map.copyOf(values);
        fieldErrors = Map.copyOf(fieldErrors);
    }

    static FormState refused(String form, Map<String, String> values, SrgException e, Collection<String> fields) {
        Map<String, String> errors = new HashMap<>();
        String general = e.detail();
        String field = e.field();
        if (field != null) {
            String at = fields.contains(field) ? field : fields.stream()
                    .filter(f -> f.startsWith(field + ".") || field.startsWith(f + ".")).findFirst().orElse(null);
            if (at != null) {
                errors.put(at, e.detail());
                general = null;
            }
        }
        return new FormState(form, values, errors, general, e.code());
    }

    /** This state when it belongs to {@code form}, else an empty one. */
    public FormState of(String form) {
        return this.form.equals(form) ? this : new FormState(form, Map.of(), Map.of(), null, null);
    }

    public boolean failed() {
        return error != null || !fieldErrors.isEmpty();
    }

    /** What was typed in {@code name}, else {@code fallback}. */
    public String value(String name, Object fallback) {
        String v = values.get(name);
        if (v != null) {
            return v;
        }
        return fallback == null ? "" : String.valueOf(fallback);
    }

    public boolean checked(String name, boolean fallback) {
        return values.isEmpty() ? fallback : values.containsKey(name);
    }

    public String errorAt(String field) {
        return fieldErrors.get(field);
    }
}
