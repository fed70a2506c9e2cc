package dev.srg.group;

import dev.srg.admission.UsageType;
import dev.srg.quantity.ComputeUnits;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@code GET/PUT /resource-groups/{id}/quotas}: per usage type a minimum (a guarantee, meant for
 * subscriptions) and a maximum (a cap, meant for pay-as-you-go cost control), ADM-2. A PUT
 * replaces the whole set; a type left out has neither.
 */
public record QuotaSettings(Map<UsageType, Quota> quotas) {
    public QuotaSettings {
        EnumMap<UsageType, Quota> copy = new EnumMap<>(UsageType.class);
        if (quotas != null) {
            copy.putAll(quotas);
        }
        quotas = copy;
    }

    /** One type's quota; either bound may be left out. */
    public record Quota(ComputeUnits minCu, ComputeUnits maxCu) {}
}
