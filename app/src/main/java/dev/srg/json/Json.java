package dev.srg.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.srg.error.SrgException;
import dev.srg.quantity.ComputeUnits;
import java.math.BigDecimal;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.cfg.EnumFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.type.LogicalType;

/**
 * The one JSON mapper: strict on input (unknown fields, wrong types, numbers as strings and nulls
 * for primitives are errors), RFC 3339 strings for times, nulls left out, CU as plain numbers.
 */
public final class Json {
    /**
     * For what comes in (request bodies, files an operator gives): a number whose type is not
     * declared is refused where it cannot be kept ({@link UntypedNumberDeserializer}).
     */
    public static final JsonMapper MAPPER = base()
            .addModule(new SimpleModule("srg-input-numbers").addDeserializer(Number.class, new UntypedNumberDeserializer(true)))
            .build();

    /**
     * For what srg wrote itself and reads back (payloads, definitions, profiles from the store; a
     * worker's rows): the same mapper, but an undeclared number beyond a double's range is read as
     * the exact decimal it is, never refused, so a stored payload is always readable (one stored
     * before the input check existed, a database value in a DataService answer).
     */
    public static final JsonMapper STORED = base()
            .addModule(new SimpleModule("srg-stored-numbers").addDeserializer(Number.class, new UntypedNumberDeserializer(false)))
            .build();

    private static JsonMapper.Builder base() {
        return JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(tools.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(EnumFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
                .withCoercionConfig(LogicalType.Textual, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .changeDefaultPropertyInclusion(v -> v.withValueInclusion(JsonInclude.Include.NON_NULL))
                .addModule(new SimpleModule("srg-quantities")
                        .addSerializer(ComputeUnits.class, new ComputeUnitsSerializer())
                        .addDeserializer(ComputeUnits.class, new ComputeUnitsDeserializer())
                        .addDeserializer(BigDecimal.class, new BoundedDecimalDeserializer()));
    }

    private Json() {}

    /**
     * A decimal as the API takes it: at most {@link ComputeUnits#MAX_SCALE} digits before or after
     * the point. A JSON number of a dozen characters such as 1e2147483647 is a BigDecimal no rule's
     * range check reaches: its arithmetic overflows, and its plain text (quoted in a refusal) would
     * take gigabytes. 400 {@code InvalidParameter.Number} naming the field.
     */
    public static BigDecimal bounded(String field, BigDecimal value) {
        if (value != null && Math.abs((long) value.scale()) > ComputeUnits.MAX_SCALE) {
            throw SrgException.invalid(field, "InvalidParameter.Number", (field == null ? "the number" : field)
                    + " is out of range: at most " + ComputeUnits.MAX_SCALE + " digits before or after the point");
        }
        return value;
    }

    /**
     * A decimal as the double it is stored as: a non-zero value whose double is 0 (1e-999), or one
     * whose double is infinite, would be stored as something it is not. 400
     * {@code InvalidParameter.Number} naming the field. Takes a value {@link #bounded} let through.
     */
    public static double toDouble(String field, BigDecimal value) {
        double d = value.doubleValue();
        if (Double.isInfinite(d) || (d == 0 && value.signum() != 0)) {
            throw outOfDoubleRange(field, d);
        }
        return d;
    }

    private static SrgException outOfDoubleRange(String field, double d) {
        return SrgException.invalid(field, "InvalidParameter.Number", (field == null ? "the number" : field) + " is out of range: "
                + (d == 0 ? "not 0, but too close to 0 to be kept (it would be stored as 0)" : "too large to be kept"));
    }

    /** Where the parser is, as a field name: {@code sync.setting.errorLimit.percentage}, {@code values.2}. */
    private static String field(JsonParser p) {
        String pointer = p.streamReadContext().pathAsPointer().toString();
        return pointer.isEmpty() ? null : pointer.substring(1).replace('/', '.');
    }

    public static String write(Object value) {
        return MAPPER.writeValueAsString(value);
    }

    private static final class ComputeUnitsSerializer extends ValueSerializer<ComputeUnits> {
        @Override
        public void serialize(ComputeUnits value, JsonGenerator gen, SerializationContext ctxt) {
            gen.writeNumber(value.toCu());
        }
    }

    /** A JSON number as a BigDecimal within {@link #bounded}; other tokens are refused as the default deserializer does. */
    private static final class BoundedDecimalDeserializer extends ValueDeserializer<BigDecimal> {
        @Override
        public BigDecimal deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT && p.currentToken() != JsonToken.VALUE_NUMBER_FLOAT) {
                return (BigDecimal) ctxt.handleUnexpectedToken(BigDecimal.class, p);
            }
            return bounded(p.currentName(), p.getDecimalValue());
        }

        @Override
        public LogicalType logicalType() {
            return LogicalType.Float;
        }
    }

    /**
     * A JSON number where the type is not declared (the values of a {@code Map<String, Object>},
     * such as a sync job's): an integer as the default gives it, a fraction as a {@code double} as
     * the default does. A fraction that becomes 0 or infinite as a double is refused in input as
     * {@link #toDouble} refuses it (it would be kept as 0, or as the largest long where an integer
     * is asked for), and read as its exact decimal from what srg stored ({@link #STORED}).
     */
    private static final class UntypedNumberDeserializer extends ValueDeserializer<Number> {
        private final boolean refuseUnkeepable;

        UntypedNumberDeserializer(boolean refuseUnkeepable) {
            this.refuseUnkeepable = refuseUnkeepable;
        }

        @Override
        public Number deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                return p.getNumberValue();
            }
            if (p.currentToken() != JsonToken.VALUE_NUMBER_FLOAT) {
                return (Number) ctxt.handleUnexpectedToken(Number.class, p);
            }
            double d = p.getDoubleValue();
            if (Double.isInfinite(d) || (d == 0 && p.getDecimalValue().signum() != 0)) {
                if (refuseUnkeepable) {
                    throw outOfDoubleRange(field(p), d);
                }
                return p.getDecimalValue();
            }
            return d;
        }

        @Override
        public LogicalType logicalType() {
            return LogicalType.Float;
        }
    }

    /** Accepts a JSON number that is a positive multiple of 0.25; anything else names the field. */
    private static final class ComputeUnitsDeserializer extends ValueDeserializer<ComputeUnits> {
        @Override
        public ComputeUnits deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT && p.currentToken() != JsonToken.VALUE_NUMBER_FLOAT) {
                throw SrgException.invalid(p.currentName(), "InvalidParameter.ComputeUnits",
                        p.currentName() + " must be a number of CU (a multiple of 0.25)");
            }
            BigDecimal value = p.getDecimalValue();
            return ComputeUnits.parse(p.currentName(), value);
        }
    }
}
