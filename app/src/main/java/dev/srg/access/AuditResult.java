package dev.srg.access;

import dev.srg.error.SrgException;

/**
 * How an audited change ended (ACC-5): {@code OK}, the HTTP status of an allowed request
 * ({@code 201}), or the status and stable error code of a refusal ({@code 403 Forbidden.MissingPolicy}).
 *
 * @param status the HTTP status; 0 for {@link #OK}, a change that is no HTTP request's
 * @param code the refusal's error code, or null
 */
public record AuditResult(int status, String code) {
    /** A change made (by the platform, or by a console form, whose answer is a redirect). */
    public static final AuditResult OK = new AuditResult(0, null);

    public AuditResult {
        if (status != 0 && (status < 100 || status > 599)) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
        if (code != null && status < 400) {
            throw new IllegalArgumentException("an error code needs an error status, got " + status + " " + code);
        }
    }

    /** An HTTP request's answer: its status, and the error code when it was refused (ignored otherwise). */
    public static AuditResult of(int status, String code) {
        return new AuditResult(status, status >= 400 ? code : null);
    }

    public static AuditResult refused(SrgException e) {
        return new AuditResult(e.status(), e.code());
    }

    public boolean refused() {
        return status >= 400;
    }

    /** The stored and answered form. */
    public String text() {
        if (status == 0) {
            return "OK";
        }
        return code == null ? Integer.toString(status) : status + " " + code;
    }

    /** Reads a stored form back ({@code OK}, {@code 201}, {@code 403 Forbidden.Csrf}). */
    public static AuditResult parse(String text) {
        if (text.equals("OK")) {
            return OK;
        }
        int space = text.indexOf(' ');
        try {
            return space < 0 ? new AuditResult(Integer.parseInt(text), null)
                    : new AuditResult(Integer.parseInt(text.substring(0, space)), text.substring(space + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an audit result: '" + text + "'", e);
        }
    }
}
