package dev.srg.console;

import dev.srg.admission.UsageType;
import dev.srg.billing.BudgetManager;
import dev.srg.billing.Money;
import dev.srg.group.QuotaSettings;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** How the budget and schedule pages show their values (public: the precompiled templates call it). */
public final class BeyondFormat {
    private BeyondFormat() {}

    /** Money rounded to cents for people (the ledger keeps it exact); CU-hours as they are. */
    public static String budget(BudgetManager.Unit unit, BigDecimal amount) {
        return unit == BudgetManager.Unit.MONEY ? amount.setScale(2, RoundingMode.HALF_UP).toPlainString()
                : amount.toPlainString() + " CU-h";
    }

    /** Money rounded half up to cents for people (the ledger and the downloads stay exact). */
    public static String money(Money m) {
        return m == null ? "" : m.amount().setScale(2, RoundingMode.HALF_UP).toPlainString();
    }

    /** A measured figure to two decimals. */
    public static String decimal(double v) {
        return BigDecimal.valueOf(v).setScale(2, RoundingMode.HALF_UP).toPlainString();
    }

    /** {@code DATA_INTEGRATION min 6 CU, SCHEDULING max 2 CU}; "none" for no quota. */
    public static String quotas(Map<UsageType, QuotaSettings.Quota> quotas) {
        if (quotas == null || quotas.isEmpty()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        quotas.forEach((type, q) -> parts.add(type + (q.minCu() == null ? "" : " min " + Fmt.cu(q.minCu()) + " CU")
                + (q.maxCu() == null ? "" : " max " + Fmt.cu(q.maxCu()) + " CU")));
        return String.join(", ", parts);
    }
}
