package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** {@code srg image list|get} print sizes and times as docs/cli.md's Output says: {@code 193 MiB}, {@code 5m ago}. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ImageViewTest {
    private static final JsonNode IMAGE = Json.MAPPER.readTree("""
            {"id": "img-22c45760ae422fb42cdef592", "name": "tools", "status": "AVAILABLE", "base": "debian-bookworm-slim",
             "sizeBytes": 202320886, "packages": ["hello", "python3-tabulate"], "createdAt": "%s", "finishedAt": "%s"}"""
            .formatted(Instant.now().minusSeconds(300), Instant.now().minusSeconds(255)));

    private static String print(boolean list) {
        StringWriter text = new StringWriter();
        Output out = new Output(new PrintWriter(text), Output.Format.table);
        if (list) {
            out.many(List.of(IMAGE), ImageCommands.IMAGE);
        } else {
            out.one(IMAGE, ImageCommands.IMAGE);
        }
        return text.toString();
    }

    @Test
    void listShowsTheSizeInBinaryUnits() {
        String list = print(true);
        assertThat(list).startsWith("ID").contains(" SIZE").contains("193 MiB").doesNotContain("202320886");
    }

    @Test
    void getShowsPackagesAndTimesWithTheirAges() {
        String page = print(false);
        assertThat(page).containsPattern("PACKAGES +hello, python3-tabulate\n")
                .containsPattern("CREATED +\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z \\(5m ago\\)\n")
                .containsPattern("FINISHED +\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z \\(4m ago\\)\n");
    }
}
