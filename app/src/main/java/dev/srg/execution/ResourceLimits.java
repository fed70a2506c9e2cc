package dev.srg.execution;

/**
 * The compute of one instance, from its CUs: 1 CU = 1 core + 4 GiB (ADM-7).
 *
 * @param milliCu thousandths of a CU
 */
public record ResourceLimits(long milliCu) {
    public ResourceLimits {
        if (milliCu <= 0) {
            throw new IllegalArgumentException("milliCu must be positive: " + milliCu);
        }
    }

    /** CPU in thousandths of a core. */
    public long cpuMillicores() {
        return milliCu;
    }

    public long memoryBytes() {
        return milliCu * (4L * 1024 * 1024 * 1024) / 1000;
    }
}
