package dev.srg.billing;

import static java.util.Objects.requireNonNull;

import dev.srg.group.BillingCycle;
import dev.srg.group.PaidPeriod;
import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * The price list (SPEC RG-9), from {@code srg server --prices FILE} (a properties file) or the
 * defaults. All amounts are pure functions of CU, time and these prices:
 * <ul>
 *   <li>subscription: {@code subscription-cu-month} per CU per month; a cycle in years costs 12
 *       months less {@code year-discount-percent};
 *   <li>pay-as-you-go: {@code pay-as-you-go-cu-hour} per CU-hour of run time, metered exactly
 *       (milli-CU x milliseconds);
 *   <li>scale-out: the added CUs for what is left of each paid period, at that period's price
 *       and by its own length (a 31-day month is a month, a year keeps its discount); scale-in
 *       refunds nothing.
 * </ul>
 */
public record Prices(String currency, Money subscriptionCuMonth, Money payAsYouGoCuHour, int yearDiscountPercent) {
    public static final Prices DEFAULTS = new Prices("USD", Money.parse("50.00"), Money.parse("0.12"), 15);
    static final Set<String> KEYS = Set.of("currency", "subscription-cu-month", "pay-as-you-go-cu-hour", "year-discount-percent");
    private static final long MILLI_MS_PER_CU_HOUR = 1000L * 3_600_000L;

    public Prices {
        requireNonNull(currency, "currency is null");
        requireNonNull(subscriptionCuMonth, "subscriptionCuMonth is null");
        requireNonNull(payAsYouGoCuHour, "payAsYouGoCuHour is null");
        if (yearDiscountPercent < 0 || yearDiscountPercent > 100) {
            throw new IllegalArgumentException("year-discount-percent must be 0 to 100");
        }
    }

    /** Reads a prices file; every problem is added to {@code problems} (the defaults fill in). */
    public static Prices load(Path file, List<String> problems) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            problems.add("prices file " + file + " cannot be read: " + e.getMessage());
            return DEFAULTS;
        }
        List<String> found = new ArrayList<>();
        for (String key : p.stringPropertyNames()) {
            if (!KEYS.contains(key)) {
                found.add("prices file " + file + ": unknown key '" + key + "' (known: " + KEYS + ")");
            }
        }
        String currency = p.getProperty("currency", DEFAULTS.currency()).strip();
        if (!currency.matches("[A-Z]{3}")) {
            found.add("prices file " + file + ": currency must be a 3-letter code such as USD, got '" + currency + "'");
        }
        Money month = money(file, p, "subscription-cu-month", DEFAULTS.subscriptionCuMonth(), found);
        Money hour = money(file, p, "pay-as-you-go-cu-hour", DEFAULTS.payAsYouGoCuHour(), found);
        int discount = DEFAULTS.yearDiscountPercent();
        String d = p.getProperty("year-discount-percent");
        if (d != null) {
            try {
                discount = Integer.parseInt(d.strip());
                if (discount < 0 || discount > 100) {
                    found.add("prices file " + file + ": year-discount-percent must be 0 to 100, got " + discount);
                    discount = 0;
                }
            } catch (NumberFormatException e) {
                found.add("prices file " + file + ": year-discount-percent must be a whole number, got '" + d + "'");
            }
        }
        problems.addAll(found);
        return found.isEmpty() ? new Prices(currency, month, hour, discount) : DEFAULTS;
    }

    private static Money money(Path file, Properties p, String key, Money fallback, List<String> problems) {
        String v = p.getProperty(key);
        if (v == null) {
            return fallback;
        }
        try {
            Money m = Money.parse(v);
            if (m.micros() < 0) {
                problems.add("prices file " + file + ": " + key + " must not be negative");
            }
            return m;
        } catch (RuntimeException e) {
            problems.add("prices file " + file + ": " + key + " must be an amount such as 0.12 (at most 6 decimals), got '" + v + "'");
            return fallback;
        }
    }

    /** A subscription of {@code specMilliCu} for one {@code cycle}. */
    public Money subscription(long specMilliCu, BillingCycle cycle) {
        BigDecimal perMonth = BigDecimal.valueOf(subscriptionCuMonth.micros()).multiply(BigDecimal.valueOf(specMilliCu))
                .divide(BigDecimal.valueOf(1000));
        if (cycle.unit() == BillingCycle.Unit.MONTH) {
            return Money.ofMicros(perMonth.multiply(BigDecimal.valueOf(cycle.count())));
        }
        return Money.ofMicros(perMonth.multiply(BigDecimal.valueOf(12L * cycle.count()))
                .multiply(BigDecimal.valueOf(100 - yearDiscountPercent)).divide(BigDecimal.valueOf(100)));
    }

    /**
     * Scale-out (RG-5): {@code addedMilliCu} for what is left of each paid period in [{@code at},
     * {@code until}), at that period's price (its cycle: months, or years with their discount) times
     * the share of its own length still ahead — so a month of 28 or 31 days costs what a month
     * costs, and a year keeps its discount. One rounding, half up to the micro-unit, at the end.
     */
    public Money scaleOut(long addedMilliCu, Instant at, Instant until, List<PaidPeriod> paid) {
        if (addedMilliCu <= 0 || until == null || !until.isAfter(at)) {
            return Money.ZERO;
        }
        BigDecimal micros = BigDecimal.ZERO;
        for (PaidPeriod p : paid) {
            Instant from = p.start().isAfter(at) ? p.start() : at;
            Instant to = p.end().isBefore(until) ? p.end() : until;
            if (!to.isAfter(from)) {
                continue;
            }
            BigInteger share = BigInteger.valueOf(subscription(addedMilliCu, p.cycle()).micros())
                    .multiply(BigInteger.valueOf(Duration.between(from, to).toMillis()));
            micros = micros.add(new BigDecimal(share).divide(BigDecimal.valueOf(Duration.between(p.start(), p.end()).toMillis()),
                    12, java.math.RoundingMode.HALF_UP));
        }
        return Money.ofMicros(micros);
    }

    /** Pay-as-you-go: the price of {@code cuMilliMillis} (milli-CU x milliseconds) at {@code perCuHour}. */
    public static Money usage(long cuMilliMillis, Money perCuHour) {
        BigInteger micros = BigInteger.valueOf(cuMilliMillis).multiply(BigInteger.valueOf(perCuHour.micros()));
        return Money.ofMicros(new BigDecimal(micros).divide(BigDecimal.valueOf(MILLI_MS_PER_CU_HOUR), 6,
                java.math.RoundingMode.HALF_UP));
    }
}
