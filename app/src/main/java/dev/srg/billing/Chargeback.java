package dev.srg.billing;

import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * SPEC BEY-5: who pays what of a month's money. Pure: the month's orders and bill lines, and the
 * CU each workspace used, in; rows per workspace and group out, that add up <em>exactly</em> (to
 * the micro-unit) to those orders and lines:
 * <ul>
 *   <li>a bill line (one pay-as-you-go group, one hour) is split among the workspaces by the
 *       CU x time their instances ran on that group in that hour — its amount and its CU alike;
 *   <li>an order (a subscription bought, scaled, renewed or converted) is split among the
 *       workspaces by the CU x time they used that group in the month;
 *   <li>money and CU nobody used are kept in a row without a workspace (an idle subscription
 *       still costs what it cost).
 * </ul>
 * A split is exact by the largest-remainder method: every share is rounded down, and the micro-units
 * left over go one by one to the largest remainders (ties to the first workspace by id).
 */
public final class Chargeback {
    private Chargeback() {}

    /** Money (micros) and CU (milli-CU x ms) to be split by {@code weights} (workspace id → CU x ms). */
    public record Charge(String resourceGroupId, boolean subscription, long amountMicros, long cuMilliMillis,
                         Map<String, Long> weights) {
        public Charge {
            requireNonNull(resourceGroupId, "resourceGroupId is null");
            weights = Map.copyOf(weights);
        }
    }

    /** What one workspace used of one group in the month (milli-CU x ms). */
    public record Usage(String workspaceId, String resourceGroupId, long cuMilliMillis) {}

    /**
     * One workspace's share on one group. {@code workspaceId} null: what no workspace used.
     *
     * @param usedCuMilliMillis what its instances ran on the group in the month
     * @param meteredCuMilliMillis its share of the group's pay-as-you-go bill lines' CU
     */
    public record Row(String workspaceId, String resourceGroupId, long usedCuMilliMillis, long meteredCuMilliMillis,
                      long subscriptionMicros, long payAsYouGoMicros) {}

    /** The rows, by workspace id (the unattributed row last) then group id. */
    public static List<Row> allocate(List<Charge> charges, List<Usage> usage) {
        record Key(String workspaceId, String groupId) {}
        Comparator<Key> order = Comparator.comparing((Key k) -> k.workspaceId() == null ? "\uffff" : k.workspaceId())
                .thenComparing(Key::groupId);
        Map<Key, long[]> rows = new TreeMap<>(order);
        for (Usage u : usage) {
            rows.computeIfAbsent(new Key(u.workspaceId(), u.resourceGroupId()), k -> new long[4])[0] += u.cuMilliMillis();
        }
        for (Charge c : charges) {
            Map<String, Long> money = split(c.amountMicros(), c.weights());
            Map<String, Long> cu = split(c.cuMilliMillis(), c.weights());
            for (var e : money.entrySet()) {
                long[] row = rows.computeIfAbsent(new Key(e.getKey(), c.resourceGroupId()), k -> new long[4]);
                row[c.subscription() ? 2 : 3] += e.getValue();
            }
            for (var e : cu.entrySet()) {
                rows.computeIfAbsent(new Key(e.getKey(), c.resourceGroupId()), k -> new long[4])[1] += e.getValue();
            }
        }
        List<Row> out = new ArrayList<>();
        rows.forEach((k, v) -> out.add(new Row(k.workspaceId(), k.groupId(), v[0], v[1], v[2], v[3])));
        return out;
    }

    /**
     * {@code total} split by the weights, exactly (largest remainder). No positive weight: all of
     * it under the null key. Zero: nothing.
     */
    static Map<String, Long> split(long total, Map<String, Long> weights) {
        Map<String, Long> out = new TreeMap<>(Comparator.nullsLast(Comparator.naturalOrder()));
        if (total == 0) {
            return out;
        }
        long sum = weights.values().stream().filter(w -> w > 0).mapToLong(Long::longValue).sum();
        if (sum <= 0) {
            out.put(null, total);
            return out;
        }
        long sign = Long.signum(total);
        BigInteger abs = BigInteger.valueOf(Math.abs(total));
        BigInteger divisor = BigInteger.valueOf(sum);
        record Share(String id, long floor, BigInteger remainder) {}
        List<Share> shares = new ArrayList<>();
        long given = 0;
        for (var e : new TreeMap<>(weights).entrySet()) {
            if (e.getValue() <= 0) {
                continue;
            }
            BigInteger[] qr = abs.multiply(BigInteger.valueOf(e.getValue())).divideAndRemainder(divisor);
            shares.add(new Share(e.getKey(), qr[0].longValueExact(), qr[1]));
            given += qr[0].longValueExact();
        }
        long left = abs.longValueExact() - given;
        List<Share> byRemainder = new ArrayList<>(shares);
        byRemainder.sort(Comparator.comparing(Share::remainder).reversed().thenComparing(Share::id));
        Map<String, Long> extra = new TreeMap<>();
        for (int i = 0; i < left; i++) {
            extra.merge(byRemainder.get(i).id(), 1L, Long::sum);
        }
        for (Share s : shares) {
            long v = s.floor() + extra.getOrDefault(s.id(), 0L);
            if (v != 0) {
                out.put(s.id(), sign * v);
            }
        }
        return out;
    }
}
