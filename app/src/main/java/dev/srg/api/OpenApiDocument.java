package dev.srg.api;

import dev.srg.api.ApiRoutes.Body;
import dev.srg.api.ApiRoutes.Operation;
import dev.srg.quantity.ComputeUnits;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The OpenAPI 3.1 document of the API, generated from the registered routes and their records:
 * a type with a {@code @JsonValue} is described by what that method answers (a {@code Cidr} is a
 * string), and a record's {@code required} fields come from {@link RequestSchemas}.
 */
final class OpenApiDocument {
    private final Map<String, Object> schemas = new TreeMap<>();

    static Map<String, Object> build(List<Operation> operations) {
        return new OpenApiDocument().document(operations);
    }

    private Map<String, Object> document(List<Operation> operations) {
        Map<String, Object> paths = new TreeMap<>();
        for (Operation op : operations) {
            @SuppressWarnings("unchecked")
            Map<String, Object> item = (Map<String, Object>) paths.computeIfAbsent(op.path(), k -> new LinkedHashMap<>());
            item.put(op.method().name().toLowerCase(Locale.ROOT), operation(op));
        }
        schemas.put("Problem", Map.of("type", "object", "properties", Map.of(
                "type", Map.of("type", "string"), "title", Map.of("type", "string"), "status", Map.of("type", "integer"),
                "detail", Map.of("type", "string"), "code", Map.of("type", "string"), "field", Map.of("type", "string")),
                "required", List.of("status", "title", "detail", "code")));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.1.0");
        doc.put("info", Map.of("title", "srg — serverless resource groups", "version", "v1",
                "description", "The public HTTP contract of srg. Errors are application/problem+json (RFC 9457) with a stable `code`."));
        doc.put("servers", List.of(Map.of("url", "/")));
        doc.put("security", List.of(Map.of("bearer", List.of())));
        doc.put("paths", paths);
        doc.put("components", Map.of("schemas", schemas,
                "securitySchemes", Map.of("bearer", Map.of("type", "http", "scheme", "bearer"))));
        return doc;
    }

    private Map<String, Object> operation(Operation op) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("tags", List.of(op.tag()));
        o.put("summary", op.summary());
        o.put("operationId", op.method().name().toLowerCase(Locale.ROOT) + op.path().replace("/api/v1", "")
                .replaceAll("[{}]", "").replace('/', '_').replace('-', '_'));
        List<Object> parameters = new ArrayList<>();
        for (String segment : op.path().split("/")) {
            if (segment.startsWith("{")) {
                parameters.add(Map.of("name", segment.substring(1, segment.length() - 1), "in", "path", "required", true,
                        "schema", Map.of("type", "string")));
            }
        }
        for (String q : op.query()) {
            parameters.add(Map.of("name", q, "in", "query", "required", false, "schema", q.equals("pageSize")
                    ? Map.of("type", "integer", "minimum", 1, "maximum", 1000) : Map.of("type", "string")));
        }
        if (op.response() instanceof Body.Page) {
            parameters.add(Map.of("name", "pageSize", "in", "query", "required", false, "schema", Map.of("type", "integer", "minimum", 1, "maximum", 1000)));
            parameters.add(Map.of("name", "pageToken", "in", "query", "required", false, "schema", Map.of("type", "string")));
        }
        if (!parameters.isEmpty()) {
            o.put("parameters", parameters);
        }
        if (!(op.request() instanceof Body.None)) {
            o.put("requestBody", Map.of("required", true, "content", Map.of("application/json", Map.of("schema", schema(op.request())))));
        }
        Map<String, Object> responses = new LinkedHashMap<>();
        if (op.response() instanceof Body.None) {
            responses.put(String.valueOf(op.status()), Map.of("description", "done"));
        } else if (op.response() instanceof Body.Text) {
            responses.put(String.valueOf(op.status()), Map.of("description", "ok",
                    "content", Map.of("text/plain", Map.of("schema", Map.of("type", "string")))));
        } else if (op.response() instanceof Body.Csv) {
            responses.put(String.valueOf(op.status()), Map.of("description", "ok",
                    "content", Map.of("text/csv", Map.of("schema", Map.of("type", "string")))));
        } else if (op.response() instanceof Body.Archive) {
            responses.put(String.valueOf(op.status()), Map.of("description", "ok",
                    "content", Map.of("application/x-tar", Map.of("schema", Map.of("type", "string", "format", "binary")))));
        } else {
            responses.put(String.valueOf(op.status()), Map.of("description", "ok",
                    "content", Map.of("application/json", Map.of("schema", schema(op.response())))));
        }
        if (op.dryRun() != null) {
            // ?dryRun=true: 200 with a quote or an estimate; where 200 is also the answer of the real thing, either
            Object quote = schema(op.dryRun());
            Object existing = op.status() == 200 && !(op.response() instanceof Body.None) ? schema(op.response()) : null;
            responses.put("200", Map.of("description", op.status() == 200 ? "ok, or with dryRun=true what would happen"
                            : "with dryRun=true: what would happen, nothing done",
                    "content", Map.of("application/json", Map.of("schema",
                            existing == null ? quote : Map.of("oneOf", List.of(existing, quote))))));
        }
        Map<String, Object> problem = Map.of("description", "refused", "content",
                Map.of("application/problem+json", Map.of("schema", Map.of("$ref", "#/components/schemas/Problem"))));
        responses.put("4XX", problem);
        responses.put("503", Map.of("description", "the database is unavailable: nothing was done; retry after Retry-After seconds",
                "headers", Map.of("Retry-After", Map.of("schema", Map.of("type", "integer"))),
                "content", Map.of("application/problem+json", Map.of("schema", Map.of("$ref", "#/components/schemas/Problem")))));
        responses.put("507", Map.of("description", "a disk is full: the database's (InsufficientStorage.Database), or, for a"
                        + " task's submission, the one tasks run on (InsufficientStorage.TaskDirectory); nothing was done; retry"
                        + " after Retry-After seconds, once space is freed",
                "headers", Map.of("Retry-After", Map.of("schema", Map.of("type", "integer"))),
                "content", Map.of("application/problem+json", Map.of("schema", Map.of("$ref", "#/components/schemas/Problem")))));
        if (op.path().endsWith("/test") && "dataservice".equals(op.tag())) {
            // testing an API runs its query on the group's service: the answers a caller of /data gets
            Map<String, Object> upstream = Map.of("application/problem+json", Map.of("schema", Map.of("$ref", "#/components/schemas/Problem")));
            responses.put("502", Map.of("description", "the service or its data source could not be reached", "content", upstream));
            responses.put("504", Map.of("description", "the query ran over the API's timeout (cancelled on the database)", "content", upstream));
        }
        o.put("responses", responses);
        return o;
    }

    private Object schema(Body body) {
        return switch (body) {
            case Body.One one -> typeSchema(one.type());
            case Body.Array array -> Map.of("type", "array", "items", typeSchema(array.type()));
            case Body.Page page -> Map.of("type", "object", "properties", Map.of(
                    "items", Map.of("type", "array", "items", typeSchema(page.type())),
                    "nextPageToken", Map.of("type", "string")), "required", List.of("items"));
            case Body.None none -> Map.of();
            case Body.Text text -> Map.of("type", "string");
            case Body.Csv csv -> Map.of("type", "string");
            case Body.Archive archive -> Map.of("type", "string", "format", "binary");
        };
    }

    private Map<String, Object> typeSchema(Type type) {
        if (type instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            if (List.class.isAssignableFrom(raw) || java.util.Set.class.isAssignableFrom(raw)) {
                return Map.of("type", "array", "items", typeSchema(p.getActualTypeArguments()[0]));
            }
            if (Map.class.isAssignableFrom(raw)) {
                // Map<String, Object> (an instance's payload): its values are any JSON, not only objects
                Type value = p.getActualTypeArguments()[1];
                return Map.of("type", "object", "additionalProperties", value == Object.class ? Map.of() : typeSchema(value));
            }
            return typeSchema(raw);
        }
        Class<?> c = (Class<?>) type;
        if (c == String.class) {
            return Map.of("type", "string");
        }
        if (c == Instant.class) {
            return Map.of("type", "string", "format", "date-time");
        }
        if (c == ComputeUnits.class) {
            return Map.of("type", "number", "multipleOf", 0.25, "description", "compute units (1 CU = 1 core + 4 GiB)");
        }
        if (c == dev.srg.billing.Money.class) {
            return Map.of("type", "number", "description", "an amount in the installation's currency (see currency)");
        }
        if (c == boolean.class || c == Boolean.class) {
            return Map.of("type", "boolean");
        }
        if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
            return Map.of("type", "integer");
        }
        if (c == double.class || c == Double.class || c == java.math.BigDecimal.class) {
            return Map.of("type", "number");
        }
        java.lang.reflect.Method value = jsonValue(c);
        if (value != null) {
            return typeSchema(value.getGenericReturnType());
        }
        if (c.isEnum()) {
            return Map.of("type", "string", "enum", Arrays.stream(c.getEnumConstants()).map(Object::toString).toList());
        }
        if (c.isRecord()) {
            String name = c.getSimpleName();
            if (c.getEnclosingClass() != null && !name.endsWith("Info")) {
                name = c.getEnclosingClass().getSimpleName().replace("Manager", "") + name;
            }
            if (!schemas.containsKey(name)) {
                schemas.put(name, Map.of());
                Map<String, Object> properties = new LinkedHashMap<>();
                for (RecordComponent rc : c.getRecordComponents()) {
                    properties.put(rc.getName(), typeSchema(rc.getGenericType()));
                }
                Map<String, Object> schema = new LinkedHashMap<>();
                schema.put("type", "object");
                schema.put("properties", properties);
                List<String> required = RequestSchemas.required(c);
                if (!required.isEmpty()) {
                    schema.put("required", required);
                }
                schema.put("additionalProperties", false);
                schemas.put(name, schema);
            }
            return Map.of("$ref", "#/components/schemas/" + name);
        }
        if (c == Object.class || Map.class.isAssignableFrom(c)) {
            return Map.of("type", "object");
        }
        return Map.of("type", "string");
    }

    /** The method Jackson writes the type as ({@code @JsonValue}), or null. */
    private static java.lang.reflect.Method jsonValue(Class<?> c) {
        for (java.lang.reflect.Method m : c.getMethods()) {
            if (m.isAnnotationPresent(com.fasterxml.jackson.annotation.JsonValue.class) && m.getParameterCount() == 0) {
                return m;
            }
        }
        return null;
    }
}
