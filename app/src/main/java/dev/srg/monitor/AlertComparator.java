package dev.srg.monitor;

/** How a rule compares the watched value with its threshold. */
public enum AlertComparator {
    GT(">"), GE(">="), LT("<"), LE("<=");

    private final String symbol;

    AlertComparator(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }

    public boolean test(double value, double threshold) {
        return switch (this) {
            case GT -> value > threshold;
            case GE -> value >= threshold;
            case LT -> value < threshold;
            case LE -> value <= threshold;
        };
    }
}
