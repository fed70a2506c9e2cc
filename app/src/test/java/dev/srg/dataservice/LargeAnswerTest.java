package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An API whose rows are too large for one answer (the seventeenth round's hostile load, exh22): a
 * SELECT of 10 MB rows used to reach the server whole (up to 64 MB a call, held twice while answered:
 * four such calls at once took the 160 MB heap, OutOfMemoryError, and a well-behaved caller got a 503),
 * and past 64 MB the server dropped the worker's connections and answered 503 "starting, retry" for
 * ever. Now the worker stops at {@link WorkerProtocol#MAX_ANSWER_BYTES} and the caller gets a 502 that
 * says why; the service keeps serving.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LargeAnswerTest extends DataServiceTestBase {

    @Test
    @DisplayName("SPEC DS-4: an answer over the size limit is a 502 DataService.AnswerTooLarge naming the limit; the service serves on")
    void answerOverTheLimit() {
        String path = uniquePath("wide");
        String id = publish(script(path, "SELECT g, repeat('x', ${size}) AS pad FROM generate_series(1, ${n}) g",
                List.of(param("n", "INT", true), param("size", "INT", true))), Map.of("n", 1, "size", 10));
        String appCode = (String) newApp("wide", id).get("appCode");
        String service = service();

        // under the limit: served whole
        var small = callWhenServed(appCode, path, Map.of("n", "2", "size", Integer.toString(1024 * 1024)));
        assertThat(small.status()).as(small.toString().substring(0, Math.min(300, small.text().length()))).isEqualTo(200);
        assertThat(small.json().path("data").size()).isEqualTo(2);

        // 7 rows of 10 MiB: over the limit (and over the 64 MB frame the server used to take, then answered 503 for ever)
        for (int n : new int[] {2, 7}) {
            var big = callWithCode(appCode, path, Map.of("n", Integer.toString(n), "size", Integer.toString(10 * 1024 * 1024)));
            assertThat(big.status()).as(big.toString().substring(0, Math.min(300, big.text().length()))).isEqualTo(502);
            assertThat(big.code()).isEqualTo("DataService.AnswerTooLarge");
            assertThat(big.json().path("detail").asString()).contains("16777216");
            assertThat(big.retryAfter()).as("not a retry: the same call is as large again").isNull();
        }

        // the same service answers the next call at once: its worker was neither restarted nor forgotten
        var after = callWithCode(appCode, path, Map.of("n", "1", "size", "3"));
        assertThat(after.status()).as(after.toString()).isEqualTo(200);
        assertThat(after.json().path("data").get(0).path("pad").asString()).isEqualTo("xxx");
        assertThat(service()).isEqualTo(service);
        var calls = admin.get("dataservice/apis/" + id + "/calls").json().path("items");
        assertThat(calls.findValuesAsString("errorCode")).contains("DataService.AnswerTooLarge");
    }

    private static String service() {
        return admin.get("dataservice/services/" + groupId + "?workspaceId=" + workspaceId).json().path("instanceId").asString();
    }
}
