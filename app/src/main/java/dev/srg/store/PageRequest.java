package dev.srg.store;

import dev.srg.error.SrgException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * Keyset paging over ids (ids sort by creation time): {@code pageToken} is the opaque, encoded
 * last id of the previous page. A token is checked before any use: it must decode to what this
 * server issues (an id of at most {@value #MAX_ID} letters, digits, {@code - _ . :}), so a forged
 * or damaged one is a 400 {@code InvalidParameter.PageToken}, never a query with odd bytes in it.
 * A well-formed token naming another id only pages from there: what the caller may see is
 * decided by the query, never by the token.
 */
public record PageRequest(int pageSize, String afterId) {
    public static final int DEFAULT_SIZE = 50;
    public static final int MAX_SIZE = 1000;
    static final int MAX_ID = 128;
    private static final java.util.regex.Pattern ISSUED = java.util.regex.Pattern.compile("@?[A-Za-z0-9._:-]{1," + MAX_ID + "}");
    private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,256}");

    public PageRequest {
        if (pageSize < 1 || pageSize > MAX_SIZE) {
            throw SrgException.invalid("pageSize", "InvalidParameter.PageSize",
                    "pageSize must be between 1 and " + MAX_SIZE + ", got " + pageSize);
        }
        afterId = afterId == null ? "" : afterId;
    }

    public static PageRequest first(int size) {
        return new PageRequest(size, "");
    }

    public static PageRequest parse(String pageSize, String pageToken) {
        int size = DEFAULT_SIZE;
        if (pageSize != null && !pageSize.isBlank()) {
            try {
                size = Integer.parseInt(pageSize.strip());
            } catch (NumberFormatException e) {
                throw SrgException.invalid("pageSize", "InvalidParameter.PageSize",
                        "pageSize must be an integer between 1 and " + MAX_SIZE);
            }
        }
        String after = "";
        if (pageToken != null && !pageToken.isEmpty()) {
            after = decode(pageToken);
        }
        return new PageRequest(size, after);
    }

    private static String decode(String token) {
        String after = null;
        if (TOKEN.matcher(token).matches()) {
            try {
                after = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                after = null;
            }
        }
        if (after == null || !ISSUED.matcher(after).matches()) {
            throw SrgException.invalid("pageToken", "InvalidParameter.PageToken",
                    "pageToken is not a token this server issued (pass nextPageToken of the previous page as it is)");
        }
        return after;
    }

    /** The SQL limit: one more than the page, to know whether another page follows. */
    public int limit() {
        return pageSize + 1;
    }

    /** Cuts a result fetched with {@link #limit()} into a page. */
    public <T> Page<T> page(List<T> rows, Function<T, String> id) {
        if (rows.size() <= pageSize) {
            return new Page<>(List.copyOf(rows), null);
        }
        List<T> items = List.copyOf(rows.subList(0, pageSize));
        String last = id.apply(items.get(items.size() - 1));
        return new Page<>(items, encode(last));
    }

    /**
     * A page of a short list the server reads whole (a group's networks, an API's versions): the
     * items after the previous page's position, {@code pageSize} of them. Its token is that
     * position ({@code @N}, encoded like every token), so it pages the list as the server orders
     * it; a token of a keyset list is a 400 here, as a forged one is.
     */
    public <T> Page<T> slice(List<T> all) {
        int from = 0;
        if (!afterId.isEmpty()) {
            if (!afterId.matches("@[0-9]{1,9}")) {
                throw SrgException.invalid("pageToken", "InvalidParameter.PageToken",
                        "pageToken is not a token of this list (pass nextPageToken of the previous page as it is)");
            }
            from = Math.min(Integer.parseInt(afterId.substring(1)), all.size());
        }
        int to = (int) Math.min((long) from + pageSize, all.size());
        List<T> items = List.copyOf(all.subList(from, to));
        return new Page<>(items, to < all.size() ? encode("@" + to) : null);
    }

    private static String encode(String last) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8));
    }

    public record Page<T>(List<T> items, String nextPageToken) {
        public <R> Page<R> map(Function<T, R> f) {
            return new Page<>(items.stream().map(f).toList(), nextPageToken);
        }
    }
}
