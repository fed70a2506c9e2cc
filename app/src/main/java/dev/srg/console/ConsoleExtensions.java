package dev.srg.console;

import java.util.Optional;

/**
 * The features the console shows when they are wired in: each is null while the feature is not
 * part of this build, and its pages and buttons then say "not available in this version" (no fake
 * data). The composition root passes the adapters that call the real managers.
 */
public record ConsoleExtensions(GroupLifecycle lifecycle, BillingRecords billing, AlertRules alerts, UsageHistory usageHistory) {
    public static final ConsoleExtensions NONE = new ConsoleExtensions(null, null, null, null);

    public Optional<GroupLifecycle> lifecycleAdapter() {
        return Optional.ofNullable(lifecycle);
    }

    public Optional<BillingRecords> billingAdapter() {
        return Optional.ofNullable(billing);
    }

    public Optional<AlertRules> alertsAdapter() {
        return Optional.ofNullable(alerts);
    }

    public Optional<UsageHistory> usageHistoryAdapter() {
        return Optional.ofNullable(usageHistory);
    }
}
