package dev.srg.cli;

import dev.srg.json.Json;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.PrettyPrinter;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The CLI's JSON: answers read into the same tree {@code Json.MAPPER.readTree} builds, trees printed
 * and request bodies of maps, lists, strings, numbers and booleans written as the mapper writes them,
 * all with jackson-core's streaming parser and generator alone. Building the mapper (its configuration, type
 * factory, date formats and calendars) cost about a tenth of a one-call CLI command, and the AOT
 * cache loads every class a training run used at each start (issue 17); a body of any other kind
 * still goes through the mapper.
 */
final class JsonTree {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonTree() {}

    /**
     * One JSON value, as {@code Json.MAPPER.readTree} reads it with {@code USE_BIG_DECIMAL_FOR_FLOATS} (ints, longs,
     * big integers, decimals; the last of duplicate names): a fraction stays the decimal the server wrote, so
     * {@code -o json} prints {@code 0.00008}, not the double's {@code 8.0E-5}.
     */
    static JsonNode read(String text) {
        try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return NODES.missingNode();
            }
            JsonNode value = value(p, first);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("trailing content after the JSON answer");
            }
            return value;
        }
    }

    private static JsonNode value(JsonParser p, JsonToken t) {
        return switch (t) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                for (JsonToken n = p.nextToken(); n != JsonToken.END_OBJECT; n = p.nextToken()) {
                    String name = p.currentName();
                    object.set(name, value(p, p.nextToken()));
                }
                yield object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                for (JsonToken n = p.nextToken(); n != JsonToken.END_ARRAY; n = p.nextToken()) {
                    array.add(value(p, n));
                }
                yield array;
            }
            case VALUE_STRING -> NODES.stringNode(p.getString());
            case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                case INT -> NODES.numberNode(p.getIntValue());
                case LONG -> NODES.numberNode(p.getLongValue());
                default -> NODES.numberNode(p.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(p.getDecimalValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default -> throw new IllegalArgumentException("unexpected JSON token " + t);
        };
    }

    /** A tree as {@code Json.MAPPER.writerWithDefaultPrettyPrinter()} writes it ({@code -o json}). */
    static String pretty(JsonNode node) {
        StringWriter text = new StringWriter();
        ObjectWriteContext pretty = new ObjectWriteContext.Base() {
            @Override
            public PrettyPrinter getPrettyPrinter() {
                return new DefaultPrettyPrinter();
            }

            @Override
            public boolean hasPrettyPrinter() {
                return true;
            }
        };
        try (JsonGenerator g = FACTORY.createGenerator(pretty, text)) {
            tree(g, node);
        }
        return text.toString();
    }

    private static void tree(JsonGenerator g, JsonNode n) {
        if (n.isObject()) {
            g.writeStartObject();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                g.writeName(e.getKey());
                tree(g, e.getValue());
            }
            g.writeEndObject();
        } else if (n.isArray()) {
            g.writeStartArray();
            for (JsonNode item : n) {
                tree(g, item);
            }
            g.writeEndArray();
        } else if (n.isString()) {
            g.writeString(n.asString());
        } else if (n.isInt() || n.isShort()) {
            g.writeNumber(n.intValue());
        } else if (n.isLong()) {
            g.writeNumber(n.longValue());
        } else if (n.isBigInteger()) {
            g.writeNumber(n.bigIntegerValue());
        } else if (n.isDouble()) {
            g.writeNumber(n.doubleValue());
        } else if (n.isFloat()) {
            g.writeNumber(n.floatValue());
        } else if (n.isBigDecimal()) {
            g.writeNumber(n.decimalValue());
        } else if (n.isBoolean()) {
            g.writeBoolean(n.booleanValue());
        } else if (n.isNull()) {
            g.writeNull();
        } else {
            throw new IllegalArgumentException("not a JSON answer's node: " + n.getNodeType());
        }
    }

    /** A request body as JSON: plain data written here, anything else (records, enums, trees) by the mapper. */
    static String write(Object body) {
        if (!plain(body)) {
            return Json.write(body);
        }
        StringWriter text = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(ObjectWriteContext.empty(), text)) {
            write(g, body);
        }
        return text.toString();
    }

    /** Only what the generator writes exactly as the mapper does (no nulls: the mapper leaves them out of some places only). */
    private static boolean plain(Object v) {
        if (v instanceof Map<?, ?> map) {
            return map.entrySet().stream().allMatch(e -> e.getKey() instanceof String && plain(e.getValue()));
        }
        if (v instanceof Collection<?> list) {
            return list.stream().allMatch(JsonTree::plain);
        }
        return v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long
                || v instanceof BigDecimal || v instanceof BigInteger || v instanceof Double;
    }

    private static void write(JsonGenerator g, Object v) {
        switch (v) {
            case Map<?, ?> map -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    g.writeName((String) e.getKey());
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case Collection<?> list -> {
                g.writeStartArray();
                for (Object item : list) {
                    write(g, item);
                }
                g.writeEndArray();
            }
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case BigDecimal d -> g.writeNumber(d);
            case BigInteger i -> g.writeNumber(i);
            case Double d -> g.writeNumber(d);
            default -> throw new IllegalStateException("not plain JSON data: " + v.getClass());
        }
    }
}
