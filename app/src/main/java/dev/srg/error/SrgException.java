package dev.srg.error;

import static java.util.Objects.requireNonNull;

/**
 * A refusal with a stable dotted code, the HTTP status it maps to and, where one field is at
 * fault, that field. The api layer turns it into problem+json in exactly one place; everything
 * below throws it.
 */
public class SrgException extends RuntimeException {
    private final int status;
    private final String code;
    private final String field;

    public SrgException(int status, String code, String field, String detail) {
        super(requireNonNull(detail, "detail is null"), null, false, false);
        this.status = status;
        this.code = requireNonNull(code, "code is null");
        this.field = field;
    }

    public int status() { return status; }

    public String code() { return code; }

    /** The request field at fault (dotted path), or null. */
    public String field() { return field; }

    public String detail() { return getMessage(); }

    public static SrgException invalid(String field, String code, String detail) {
        return new SrgException(400, code, field, detail);
    }

    public static SrgException notFound(String what, String id) {
        return new SrgException(404, what + ".NotFound", null, what + " '" + id + "' does not exist");
    }

    public static SrgException notFound(String what, String id, String field) {
        return new SrgException(404, what + ".NotFound", field, what + " '" + id + "' does not exist");
    }

    public static SrgException forbidden(String code, String detail) {
        return new SrgException(403, code, null, detail);
    }

    public static SrgException conflict(String code, String detail) {
        return new SrgException(409, code, null, detail);
    }

    public static SrgException conflict(String code, String field, String detail) {
        return new SrgException(409, code, field, detail);
    }
}
