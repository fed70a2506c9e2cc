package dev.srg.billing;

import com.fasterxml.jackson.annotation.JsonValue;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * An amount of money in micro-units of the installation's currency (1.00 = 1,000,000), so that a
 * pay-as-you-go hour of a quarter CU is exact. Crosses the API as a plain JSON number in currency
 * units ({@code 12.5}, never {@code 1.25E+1}); never a double inside.
 */
public record Money(long micros) implements Comparable<Money> {
    public static final long MICROS_PER_UNIT = 1_000_000;
    public static final Money ZERO = new Money(0);

    /** Parses a decimal amount ("50", "0.12"); at most 6 decimals. */
    public static Money parse(String amount) {
        BigDecimal value = new BigDecimal(amount.strip());
        BigDecimal micros = value.movePointRight(6);
        if (micros.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + amount + "' has more than 6 decimals");
        }
        return new Money(micros.longValueExact());
    }

    /** Rounds an exact amount in micros (half up) to a Money. */
    public static Money ofMicros(BigDecimal micros) {
        return new Money(micros.setScale(0, RoundingMode.HALF_UP).longValueExact());
    }

    public Money plus(Money other) {
        return new Money(Math.addExact(micros, other.micros));
    }

    public Money times(long factor) {
        return new Money(Math.multiplyExact(micros, factor));
    }

    public boolean isZero() {
        return micros == 0;
    }

    /** In currency units, at least 2 decimals, no exponent. */
    @JsonValue
    public BigDecimal amount() {
        BigDecimal v = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return v.scale() < 2 ? v.setScale(2) : v;
    }

    @Override
    public int compareTo(Money o) {
        return Long.compare(micros, o.micros);
    }

    @Override
    public String toString() {
        return amount().toPlainString();
    }
}
