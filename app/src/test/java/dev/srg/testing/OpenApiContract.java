package dev.srg.testing;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.srg.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The served OpenAPI document as a checker of answers: finds the operation a request matched,
 * then requires its status to be documented, its content type to be one documented for that
 * status, and its JSON body to validate (JSON Schema 2020-12, networknt) against the documented
 * schema. Answers under {@code /api/v1} that match no operation must be documented problems.
 * Generic: it knows nothing of srg's routes, only what the document declares.
 */
public final class OpenApiContract {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Map<String, OpenApiContract> BY_SERVER = new ConcurrentHashMap<>();
    private static volatile OpenApiContract last;
    private static final java.util.concurrent.atomic.AtomicLong CHECKED = new java.util.concurrent.atomic.AtomicLong();
    private static final String API = "/api/v1";

    private final JsonNode document;
    private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    public OpenApiContract(JsonNode document) {
        this.document = document;
    }

    /** Whether the test suite checks every answer it gets (on unless {@code -Dsrg.contract=off}). */
    public static boolean enabled() {
        return !"off".equals(System.getProperty("srg.contract"));
    }

    /** The document served at {@code base} (fetched once with {@code token}; the last one seen when that fails). */
    public static OpenApiContract of(String base, String token) {
        OpenApiContract known = BY_SERVER.get(base);
        if (known != null) {
            return known;
        }
        if (token != null) {
            try {
                HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + API + "/openapi.json"))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    OpenApiContract contract = new OpenApiContract(Json.MAPPER.readTree(r.body()));
                    BY_SERVER.put(base, contract);
                    last = contract;
                    return contract;
                }
            } catch (java.io.IOException e) {
                // fall back below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return last;
    }

    /**
     * Forgets the document of a server that stopped: the next server on the same port (the kernel
     * hands ports out again) may serve another one, with or without the simulated clock's paths.
     */
    public static void forget(String base) {
        OpenApiContract gone = BY_SERVER.remove(base);
        if (gone != null && last == gone) {
            last = null;
        }
    }

    /** How many answers were checked in this JVM. */
    public static long checked() {
        return CHECKED.get();
    }

    public JsonNode document() {
        return document;
    }

    /** A documented operation: its path template and its description in the document. */
    public record Operation(String method, String template, JsonNode node) {}

    /** Every operation the document declares. */
    public List<Operation> operations() {
        List<Operation> all = new ArrayList<>();
        document.get("paths").properties().forEach(path -> path.getValue().properties().forEach(m ->
                all.add(new Operation(m.getKey().toUpperCase(Locale.ROOT), path.getKey(), m.getValue()))));
        return all;
    }

    /** What is wrong with an answer, by the document (empty: nothing). */
    public List<String> violations(String method, String rawPath, int status, String contentType, String body) {
        String path = rawPath.split("\\?", 2)[0];
        if (!path.startsWith(API + "/") || path.equals(API + "/openapi.json")) {
            return List.of();
        }
        CHECKED.incrementAndGet();
        List<String> problems = new ArrayList<>();
        String what = method + " " + rawPath + " -> " + status + ": ";
        Operation op = match(method, path);
        JsonNode response;
        if (op == null) {
            // no operation: only a refusal can come back, and it must be a documented problem
            response = status >= 400 && status < 600 ? document.at("/components/schemas/Problem") : null;
            if (response == null || response.isMissingNode()) {
                return List.of(what + "no operation in the document matches this request");
            }
            checkBody(problems, what, Map.of("application/problem+json", response), contentType, body);
            return problems;
        }
        JsonNode responses = op.node().get("responses");
        JsonNode documented = responses.get(Integer.toString(status));
        if (documented == null) {
            documented = responses.get(status / 100 + "XX");
        }
        if (documented == null) {
            return List.of(what + "status " + status + " is not documented for " + op.method() + " " + op.template()
                    + " (documented: " + names(responses) + ")");
        }
        JsonNode content = documented.get("content");
        if (content == null || content.isEmpty()) {
            if (body != null && !body.isEmpty()) {
                problems.add(what + "a body came back where the document has none: " + abbreviate(body));
            }
            return problems;
        }
        Map<String, JsonNode> schemasByType = new java.util.LinkedHashMap<>();
        content.properties().forEach(e -> schemasByType.put(e.getKey(), e.getValue().path("schema")));
        checkBody(problems, what, schemasByType, contentType, body);
        return problems;
    }

    private void checkBody(List<String> problems, String what, Map<String, JsonNode> schemasByType,
                           String contentType, String body) {
        String type = contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        JsonNode schema = schemasByType.get(type);
        if (schema == null) {
            problems.add(what + "content type '" + contentType + "' is not documented (documented: " + schemasByType.keySet() + ")");
            return;
        }
        if (!type.endsWith("json")) {
            return;
        }
        JsonNode instance;
        try {
            instance = Json.MAPPER.readTree(body);
        } catch (RuntimeException e) {
            problems.add(what + "the body is not JSON: " + abbreviate(body));
            return;
        }
        for (var error : compile(schema).validate(instance)) {
            problems.add(what + error.getInstanceLocation() + " " + error.getMessage() + " in " + abbreviate(body));
        }
    }

    /**
     * The schema with the document's component schemas beside it as {@code $defs} (its
     * {@code #/components/schemas/X} refs rewritten to {@code #/$defs/X}), a standalone 2020-12 schema.
     */
    private Schema compile(JsonNode schema) {
        return schemas.computeIfAbsent(schema.toString(), k -> {
            ObjectNode root = (ObjectNode) Json.MAPPER.readTree(("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
                    + "\"$defs\":" + document.get("components").get("schemas") + "}").replace("#/components/schemas/", "#/$defs/"));
            root.setAll((ObjectNode) Json.MAPPER.readTree(k.replace("#/components/schemas/", "#/$defs/")));
            return registry.getSchema(root);
        });
    }

    /** The operation for a concrete path: literal segments win over templated ones. */
    public Operation match(String method, String path) {
        String[] segments = path.split("/", -1);
        Operation best = null;
        int bestLiterals = -1;
        for (Operation op : operations()) {
            if (!op.method().equals(method)) {
                continue;
            }
            String[] template = op.template().split("/", -1);
            if (template.length != segments.length) {
                continue;
            }
            int literals = 0;
            boolean matches = true;
            for (int i = 0; i < template.length && matches; i++) {
                if (template[i].startsWith("{")) {
                    matches = !segments[i].isEmpty();
                } else {
                    matches = template[i].equals(segments[i]);
                    literals++;
                }
            }
            if (matches && literals > bestLiterals) {
                best = op;
                bestLiterals = literals;
            }
        }
        return best;
    }

    private static String names(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.propertyNames().iterator(); it.hasNext(); ) {
            names.add(it.next());
        }
        return String.join(", ", names);
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
