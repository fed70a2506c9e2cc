package dev.srg.dataservice;

import dev.srg.error.SrgException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A script-mode API's SQL (DS-1), checked and compiled once: it must be one query (SELECT or
 * WITH ... SELECT), and its {@code ${name}} parameters become JDBC placeholders, bound on every call
 * — a caller's value is never part of the statement's text.
 *
 * <p>The check is a small lexer, deliberately conservative: it knows string literals, quoted
 * identifiers and comments, and refuses what it cannot be sure of (a second statement, dollar
 * quoting, a bare {@code ?} or {@code $n}, a backslash in a literal, a {@code ${...}} inside a
 * literal, words that write or change the session). It is not the security boundary for what a
 * query may read — the data source's database user is (docs/dataservice.md); the worker also runs
 * every query in a read-only session.
 */
public record SqlTemplate(String sql, List<String> parameterOrder) {
    private static final Pattern PARAM = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]{0,63})}");
    /** Words that write, lock, change the session or run other statements; refused anywhere outside literals. */
    private static final Set<String> FORBIDDEN = Set.of("UPDATE", "DELETE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER",
            "TRUNCATE", "GRANT", "REVOKE", "COPY", "CALL", "DO", "EXEC", "EXECUTE", "PREPARE", "DEALLOCATE", "LOCK", "UNLOCK",
            "SET", "RESET", "INTO", "LOAD", "HANDLER", "OUTFILE", "DUMPFILE", "VACUUM", "ANALYZE", "CLUSTER", "REINDEX",
            "COMMENT", "NOTIFY", "LISTEN", "UNLISTEN", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RENAME", "DECLARE", "FETCH",
            "SHARE", "REFRESH", "IMPORT", "SECURITY", "OWNER", "KILL", "SHUTDOWN", "FLUSH", "PURGE", "INSTALL", "UNINSTALL");
    /** Words that are also harmless functions ({@code insert(str, ...)}, {@code replace(...)}): refused unless a call. */
    private static final Set<String> FORBIDDEN_UNLESS_CALL = Set.of("INSERT", "REPLACE");
    static final int MAX_SQL = 64 * 1024;

    public SqlTemplate {
        parameterOrder = List.copyOf(parameterOrder);
    }

    /**
     * Checks and compiles {@code text}; every {@code ${name}} must be one of {@code declared}.
     * Refusals are 400s on the field {@code sql}.
     */
    public static SqlTemplate compile(String text, Set<String> declared, boolean mysql) {
        if (text == null || text.isBlank()) {
            throw refuse("MissingParameter", "sql is required for a SCRIPT API");
        }
        if (text.length() > MAX_SQL) {
            throw refuse("InvalidParameter.DataService.Sql", "sql must be at most " + MAX_SQL + " characters");
        }
        StringBuilder out = new StringBuilder();
        List<String> order = new ArrayList<>();
        List<String> words = new ArrayList<>();
        int n = text.length();
        int i = 0;
        boolean ended = false;
        while (i < n) {
            char c = text.charAt(i);
            if (ended && !Character.isWhitespace(c)) {
                throw refuse("InvalidParameter.DataService.Sql.MultipleStatements",
                        "sql must be one query: nothing may follow ';'");
            }
            if (c == '\'') {
                int end = i + 1;
                while (true) {
                    if (end >= n) {
                        throw refuse("InvalidParameter.DataService.Sql", "sql has an unterminated string literal");
                    }
                    char d = text.charAt(end);
                    if (d == '\\') {
                        throw refuse("InvalidParameter.DataService.Sql",
                                "backslashes in string literals are not accepted (their meaning differs between databases)");
                    }
                    if (d == '\'') {
                        if (end + 1 < n && text.charAt(end + 1) == '\'') {
                            end += 2;
                            continue;
                        }
                        break;
                    }
                    end++;
                }
                String literal = text.substring(i, end + 1);
                if (literal.contains("${")) {
                    throw refuse("InvalidParameter.DataService.Sql.ParameterInLiteral",
                            "a ${parameter} inside quotes would be text, not a parameter: write ${name} without quotes");
                }
                if (literal.indexOf('?') >= 0) {
                    throw refuse("InvalidParameter.DataService.Sql", "a '?' inside a string literal is not accepted"
                            + " (JDBC drivers may take it for a placeholder)");
                }
                out.append(literal);
                i = end + 1;
            } else if (c == '"' || (c == '`' && mysql)) {
                int end = text.indexOf(c, i + 1);
                if (end < 0) {
                    throw refuse("InvalidParameter.DataService.Sql", "sql has an unterminated quoted identifier");
                }
                String ident = text.substring(i, end + 1);
                if (ident.contains("${") || ident.indexOf('?') >= 0) {
                    throw refuse("InvalidParameter.DataService.Sql", "quoted identifiers may not hold '${' or '?'");
                }
                out.append(ident);
                i = end + 1;
            } else if (c == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
                int end = text.indexOf('\n', i);
                i = end < 0 ? n : end;
                out.append(' ');
            } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
                int end = text.indexOf("*/", i + 2);
                if (end < 0) {
                    throw refuse("InvalidParameter.DataService.Sql", "sql has an unterminated comment");
                }
                // comments are dropped (MySQL runs /*! ... */ as code: it never reaches the database)
                out.append(' ');
                i = end + 2;
            } else if (c == '#' && mysql) {
                throw refuse("InvalidParameter.DataService.Sql", "'#' comments are not accepted; use -- or /* */");
            } else if (c == '$') {
                Matcher m = PARAM.matcher(text).region(i, n);
                if (!m.lookingAt()) {
                    throw refuse("InvalidParameter.DataService.Sql",
                            "'$' is accepted only as ${name} (no dollar quoting, no $1 placeholders)");
                }
                String name = m.group(1);
                if (!declared.contains(name)) {
                    throw refuse("InvalidParameter.DataService.Sql.UnknownParameter",
                            "sql uses ${" + name + "} but the API declares no parameter '" + name + "'");
                }
                order.add(name);
                out.append('?');
                i = m.end();
            } else if (c == '?') {
                throw refuse("InvalidParameter.DataService.Sql", "write parameters as ${name}, not '?'");
            } else if (c == ';') {
                ended = true;
                i++;
            } else if (c == '\\') {
                throw refuse("InvalidParameter.DataService.Sql", "a backslash outside a literal is not accepted");
            } else if (Character.isLetter(c) || c == '_') {
                int end = i;
                while (end < n && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_'
                        || text.charAt(end) == '$' && !(end + 1 < n && text.charAt(end + 1) == '{'))) {
                    end++;
                }
                String word = text.substring(i, end);
                String upper = word.toUpperCase(Locale.ROOT);
                int next = end;
                while (next < n && Character.isWhitespace(text.charAt(next))) {
                    next++;
                }
                boolean call = next < n && text.charAt(next) == '(';
                if (FORBIDDEN.contains(upper) || (FORBIDDEN_UNLESS_CALL.contains(upper) && !call)) {
                    throw refuse("InvalidParameter.DataService.Sql.NotAQuery",
                            "only a single SELECT query is allowed; '" + word + "' is not accepted in an API");
                }
                words.add(upper);
                out.append(word);
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        if (words.isEmpty() || !(words.get(0).equals("SELECT") || words.get(0).equals("WITH"))) {
            throw refuse("InvalidParameter.DataService.Sql.NotAQuery", "sql must be a SELECT query (SELECT ... or WITH ... SELECT)");
        }
        String compiled = out.toString().strip();
        if (!compiled.regionMatches(true, 0, words.get(0), 0, words.get(0).length()) && !compiled.startsWith("(")) {
            throw refuse("InvalidParameter.DataService.Sql.NotAQuery", "sql must start with SELECT or WITH");
        }
        return new SqlTemplate(compiled, order);
    }

    private static SrgException refuse(String code, String detail) {
        return SrgException.invalid("sql", code, detail);
    }
}
