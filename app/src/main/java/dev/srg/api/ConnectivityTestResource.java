package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.connectivity.ConnectivityTests;

/** {@code POST /resource-groups/{id}/connectivity-tests} (SPEC NET-8). */
final class ConnectivityTestResource {
    private ConnectivityTestResource() {}

    static void register(ApiRoutes api, ConnectivityTests tests) {
        api.post("/resource-groups/{id}/connectivity-tests", "resource-groups",
                "Make a real TCP connection from inside the group's network (a CONNECTIVITY_TEST task): reachable, path "
                        + "(VPC, ROUTE, INTERNET, NONE), the reason when not, the resolved address and the latency. Network "
                        + "changes apply to tasks started afterwards, so a test always sees the network as it is now",
                one(ConnectivityTests.Request.class), 200, one(ConnectivityTests.Result.class),
                ctx -> ctx.json(tests.test(caller(ctx), ctx.pathParam("id"), body(ctx, ConnectivityTests.Request.class))));
    }
}
