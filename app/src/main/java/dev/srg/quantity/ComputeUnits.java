package dev.srg.quantity;

import dev.srg.error.SrgException;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * An amount of compute: 1 CU = 1 CPU core + 4 GiB memory. Held as milli-CU so that the 0.25 CU
 * granularity is exact; crosses the API as a JSON number in CU.
 */
public record ComputeUnits(long milli) implements Comparable<ComputeUnits> {
    public static final long MILLI_PER_CU = 1000;
    public static final long GRANULE_MILLI = 250;
    public static final long BYTES_PER_CU = 4L * 1024 * 1024 * 1024;
    public static final ComputeUnits ZERO = new ComputeUnits(0);
    /** The largest scale (either way) of a value {@link #parse} looks at; beyond it, refused before any arithmetic. */
    public static final int MAX_SCALE = 1000;

    public ComputeUnits {
        if (milli < 0) {
            throw new IllegalArgumentException("compute units cannot be negative: " + milli);
        }
    }

    public static ComputeUnits ofCu(long cu) {
        return new ComputeUnits(Math.multiplyExact(cu, MILLI_PER_CU));
    }

    public static ComputeUnits ofMilli(long milli) {
        return new ComputeUnits(milli);
    }

    /**
     * Parses an API value: a positive multiple of 0.25 CU. Anything else is a 400 naming the field.
     */
    public static ComputeUnits parse(String field, BigDecimal cu) {
        if (cu == null) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required");
        }
        if (Math.abs((long) cu.scale()) > MAX_SCALE) {
            // 1e2147483647: its arithmetic overflows and its plain text (quoted below) would need gigabytes
            throw SrgException.invalid(field, "InvalidParameter.ComputeUnits",
                    field + " must be a positive multiple of 0.25 CU, at most 1000000");
        }
        BigDecimal milli = cu.multiply(BigDecimal.valueOf(MILLI_PER_CU));
        if (cu.signum() <= 0 || cu.compareTo(BigDecimal.valueOf(1_000_000)) > 0
                || milli.stripTrailingZeros().scale() > 0
                || milli.longValueExact() % GRANULE_MILLI != 0) {
            throw SrgException.invalid(field, "InvalidParameter.ComputeUnits",
                    field + " must be a positive multiple of 0.25 CU, got " + cu.toPlainString());
        }
        return new ComputeUnits(milli.longValueExact());
    }

    public boolean isWhole() {
        return milli % MILLI_PER_CU == 0;
    }

    /** In CU with no more digits than needed and never in exponent form (10, not 1E+1). */
    public BigDecimal toCu() {
        BigDecimal cu = BigDecimal.valueOf(milli).divide(BigDecimal.valueOf(MILLI_PER_CU), 3, RoundingMode.UNNECESSARY)
                .stripTrailingZeros();
        return cu.scale() < 0 ? cu.setScale(0) : cu;
    }

    public ComputeUnits plus(ComputeUnits other) {
        return new ComputeUnits(Math.addExact(milli, other.milli));
    }

    public long memoryBytes() {
        return milli * BYTES_PER_CU / MILLI_PER_CU;
    }

    @Override
    public int compareTo(ComputeUnits o) {
        return Long.compare(milli, o.milli);
    }

    @Override
    public String toString() {
        return toCu().toPlainString() + " CU";
    }
}
