package dev.srg.billing;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One hour of one pay-as-you-go group's usage (SPEC RG-9): the CU-seconds its instances ran in
 * that hour, exact ({@code cuSeconds} is milli-CU x milliseconds / 10^6), and their price. The
 * line of the current hour grows until the hour ends and its last instance is metered.
 */
public record BillLineInfo(String id, String resourceGroupId, Instant hourStart, Instant hourEnd, BigDecimal cuSeconds,
                           Money pricePerCuHour, Money amount, String currency, Instant updatedAt) {}
