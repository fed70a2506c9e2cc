package dev.srg.api;

import dev.srg.store.PageRequest;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import io.javalin.config.RoutesConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Registers the API's routes on Javalin and remembers each one's contract, so that the OpenAPI
 * document is generated from the very routes that serve (it cannot drift from them).
 */
final class ApiRoutes {
    static final String BASE = "/api/v1";

    /** What a request or an answer carries. */
    sealed interface Body {
        record None() implements Body {}

        record One(Class<?> type) implements Body {}

        record Page(Class<?> type) implements Body {}

        record Array(Class<?> type) implements Body {}

        /** {@code text/plain} (a log). */
        record Text() implements Body {}

        /** {@code text/csv} (a report). */
        record Csv() implements Body {}

        /** {@code application/x-tar} (a backup). */
        record Archive() implements Body {}
    }

    static final Body NONE = new Body.None();
    static final Body TEXT = new Body.Text();
    static final Body CSV = new Body.Csv();
    static final Body ARCHIVE = new Body.Archive();

    static Body one(Class<?> type) {
        return new Body.One(type);
    }

    static Body page(Class<?> type) {
        return new Body.Page(type);
    }

    static Body array(Class<?> type) {
        return new Body.Array(type);
    }

    /**
     * A short list the server reads whole, answered as every list is (API.md: {@code {items,
     * nextPageToken}}, {@code pageSize} and {@code pageToken} honoured): a page of it, by position.
     */
    static <T> PageRequest.Page<T> whole(io.javalin.http.Context ctx, java.util.function.Supplier<List<T>> items) {
        PageRequest page = Requests.page(ctx); // a bad pageSize or pageToken is refused before the list is read
        return page.slice(items.get());
    }

    /**
     * @param dryRun what the operation answers (200) with {@code ?dryRun=true}: a quote or an
     *     estimate, nothing done (SPEC BEY-1); null when it has no dry run
     */
    record Operation(HandlerType method, String path, String tag, String summary, Body request, int status, Body response,
                     List<String> query, Body dryRun) {}

    private final RoutesConfig routes;
    private final List<Operation> operations = new ArrayList<>();

    ApiRoutes(RoutesConfig routes) {
        this.routes = routes;
    }

    List<Operation> operations() {
        return List.copyOf(operations);
    }

    /**
     * What the audit log calls a change at {@code method} and the route template {@code path}: its
     * operation's summary up to the first explanation ("Create a user (its token is shown once)"
     * is "Create a user"), or null for a path that is no operation.
     */
    String actionName(HandlerType method, String path) {
        for (Operation op : operations) {
            if (op.method() == method && op.path().equals(path)) {
                return op.summary().split(" \\(|: |; | — ", 2)[0];
            }
        }
        return null;
    }

    void get(String path, String tag, String summary, Body response, Handler handler, String... query) {
        add(HandlerType.GET, path, tag, summary, NONE, 200, response, handler, query);
    }

    void post(String path, String tag, String summary, Body request, int status, Body response, Handler handler,
              String... query) {
        add(HandlerType.POST, path, tag, summary, request, status, response, handler, query);
    }

    /** A POST that also answers {@code ?dryRun=true} with 200 and {@code dryRun}, doing nothing. */
    void postWithDryRun(String path, String tag, String summary, Body request, int status, Body response, Body dryRun,
                        Handler handler) {
        operations.add(new Operation(HandlerType.POST, BASE + path, tag, summary, request, status, response,
                List.of("dryRun"), dryRun));
        routes.addEndpoint(new Endpoint(HandlerType.POST, BASE + path, handler));
    }

    /** Answers 200 with {@code response}, or 204 when there is none. */
    void put(String path, String tag, String summary, Body request, Body response, Handler handler) {
        add(HandlerType.PUT, path, tag, summary, request, response instanceof Body.None ? 204 : 200, response, handler);
    }

    /** Answers 200 with {@code response}, or 204 when there is none. */
    void patch(String path, String tag, String summary, Body request, Body response, Handler handler) {
        add(HandlerType.PATCH, path, tag, summary, request, response instanceof Body.None ? 204 : 200, response, handler);
    }

    void delete(String path, String tag, String summary, Handler handler, String... query) {
        add(HandlerType.DELETE, path, tag, summary, NONE, 204, NONE, handler, query);
    }

    private void add(HandlerType method, String path, String tag, String summary, Body request, int status, Body response,
                     Handler handler, String... query) {
        operations.add(new Operation(method, BASE + path, tag, summary, request, status, response, List.of(query), null));
        routes.addEndpoint(new Endpoint(method, BASE + path, handler));
    }
}
