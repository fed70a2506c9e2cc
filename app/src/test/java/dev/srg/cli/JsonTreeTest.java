package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.json.Json;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;

/** The CLI's JSON without the mapper must read and write exactly what the mapper does (output formats stay identical). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JsonTreeTest {
    @Test
    void readsTheSameTreeAsTheMapper() {
        for (String json : List.of(
                "{\"items\":[{\"id\":\"rg-1\",\"maxCu\":4,\"cu\":0.25,\"big\":12345678901,\"huge\":123456789012345678901234567890,"
                        + "\"ok\":true,\"no\":false,\"none\":null,\"e\":1e3,\"neg\":-0.0,\"s\":\"\\u00e9\\n\\\"\"}],\"nextPageToken\":null}",
                "[]", "{}", "[1,[2,[3,{\"a\":[]}]]]", "\"text\"", "42", "3.14", "null", "{\"a\":1,\"a\":2}")) {
            JsonNode mine = JsonTree.read(json);
            JsonNode mapper = Json.MAPPER.reader().with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).readTree(json);
            assertThat(mine).as(json).isEqualTo(mapper);
            assertSameTypes(mine, mapper);
            assertThat(JsonTree.pretty(mine)).isEqualTo(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(mapper));
        }
    }

    @Test
    void printsFractionsAsTheServerWroteThem() {
        // -o json is the server's JSON: a price of 0.00008 read as a double printed 8.0E-5
        for (String number : List.of("0.00008", "0.50", "1.0E-7", "12.25", "2.5E+3")) {
            assertThat(JsonTree.pretty(JsonTree.read("{\"v\":" + number + "}"))).as(number).contains(" : " + number + "\n");
        }
    }

    @Test
    void printsTreesAsTheMapperDoes() {
        var row = Json.MAPPER.createObjectNode();
        row.put("name", "g\u00e9 \"q\"").put("cu", new BigDecimal("0.50")).put("n", 3L).put("f", 1.5f).put("ok", true).putNull("none");
        row.putArray("list").add(1).add("two").addObject();
        row.putObject("empty");
        assertThat(JsonTree.pretty(row)).isEqualTo(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(row));
    }

    private static void assertSameTypes(JsonNode a, JsonNode b) {
        assertThat(a.getClass()).isEqualTo(b.getClass());
        if (a.isContainer()) {
            assertThat(a.size()).isEqualTo(b.size());
            if (a.isArray()) {
                for (int i = 0; i < a.size(); i++) {
                    assertSameTypes(a.get(i), b.get(i));
                }
            } else {
                a.properties().forEach(e -> assertSameTypes(e.getValue(), b.get(e.getKey())));
            }
        }
    }

    @Test
    void writesBodiesAsTheMapperDoes() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", "g \"1\" é\n");
        body.put("maxCu", new BigDecimal("0.25"));
        body.put("big", new BigDecimal("1E+2"));
        body.put("count", 3);
        body.put("long", 12345678901L);
        body.put("ratio", 0.5);
        body.put("on", true);
        body.put("tags", List.of("a", "b"));
        body.put("nested", Map.of("x", List.of(1, 2)));
        assertThat(JsonTree.write(body)).isEqualTo(Json.write(body));
        assertThat(JsonTree.write(List.of())).isEqualTo(Json.write(List.of()));
        // anything else goes through the mapper itself
        Map<String, Object> other = new LinkedHashMap<>();
        other.put("mode", Output.Format.json);
        other.put("none", null);
        assertThat(JsonTree.write(other)).isEqualTo(Json.write(other));
    }
}
