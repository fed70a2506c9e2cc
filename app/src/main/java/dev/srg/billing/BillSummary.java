package dev.srg.billing;

import java.math.BigDecimal;
import java.time.Instant;

/** The total of the bill lines in a range ({@code GET /bills/summary}). */
public record BillSummary(Instant from, Instant to, String resourceGroupId, long lines, BigDecimal cuSeconds, Money amount,
                          String currency) {}
