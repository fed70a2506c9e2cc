package dev.srg.task;

import static dev.srg.task.InstanceApiTest.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Admission lets the submissions in flight go first (issue 17, eighth round: {@link SubmissionGate},
 * on by default): under a steady stream of submissions from many clients into a group that runs
 * few at a time, every task is still admitted, runs once and ends; nothing waits forever.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SubmissionsFirstTest extends ServerTestBase {

    @Test
    @DisplayName("SPEC ADM-5: 16 clients submitting steadily into a 2-CU group (4 at a time): every task admitted, run once, finished")
    void everyTaskRunsOnceWhileSubmissionsKeepComing() throws Exception {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        List<String> ids = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(16)) {
            List<Future<List<String>>> each = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                each.add(clients.submit(() -> {
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        var r = admin.post("instances", task(ws, "echo ran $SRG_INSTANCE_ID", 0.5));
                        assertThat(r.status()).as(r.toString()).isEqualTo(201);
                        mine.add(r.id());
                    }
                    return mine;
                }));
            }
            for (Future<List<String>> f : each) {
                ids.addAll(f.get(2, TimeUnit.MINUTES));
            }
        }
        assertThat(ids).hasSize(64).doesNotHaveDuplicates();
        for (String id : ids) {
            JsonNode done = InstanceApiTest.awaitFinal(id);
            assertThat(done.get("status").asString()).as(id).isEqualTo("SUCCEEDED");
            String log = admin.get("instances/" + id + "/log").text();
            assertThat(log).as("ran once").isEqualTo("ran " + id + "\n");
        }
        // the group's room is all given back
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                admin.get("resource-groups/" + rg + "/usage").json().path("usedCu").asDouble() == 0.0);
    }
}
