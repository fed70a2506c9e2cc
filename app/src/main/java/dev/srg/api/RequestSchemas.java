package dev.srg.api;

import dev.srg.access.AccessManager;
import dev.srg.group.BillingCycle;
import dev.srg.group.ConcurrencySettings;
import dev.srg.group.QuotaSettings;
import dev.srg.group.ResourceGroupLifecycle;
import dev.srg.group.ResourceGroupManager;
import dev.srg.monitor.CreateAlertRuleRequest;
import dev.srg.network.NetworkManager;
import dev.srg.task.SubmitRequest;
import dev.srg.workspace.WorkspaceManager;
import java.util.List;
import java.util.Map;

/**
 * The fields a request body must have, as the managers enforce them (each answers 400
 * {@code MissingParameter} naming the field when it is left out): they become {@code required} in
 * the served OpenAPI document. Fields required only in some cases (a subscription's
 * {@code billingCycle}) are not listed. OpenApiTest checks every name here is a property of its
 * record, so a renamed field fails a test rather than the contract.
 */
final class RequestSchemas {
    private static final Map<Class<?>, List<String>> REQUIRED = Map.ofEntries(
            Map.entry(NetworkManager.CreateVpcRequest.class, List.of("name", "regionId", "cidr")),
            Map.entry(NetworkManager.CreateVSwitchRequest.class, List.of("name", "zoneId", "cidr")),
            Map.entry(NetworkManager.NatGatewayRequest.class, List.of("eip")),
            Map.entry(NetworkManager.CreateRouteRequest.class, List.of("destinationCidr", "via")),
            Map.entry(ResourceGroupManager.CreateRequest.class,
                    List.of("name", "regionId", "zoneId", "billingMode", "vpcId", "vswitchId")),
            Map.entry(ResourceGroupManager.BindRequest.class, List.of("vpcId", "vswitchId")),
            Map.entry(ResourceGroupLifecycle.ScaleRequest.class, List.of("specCu")),
            Map.entry(ResourceGroupLifecycle.RenewRequest.class, List.of("billingCycle")),
            Map.entry(BillingCycle.class, List.of("unit", "count")),
            Map.entry(QuotaSettings.class, List.of("quotas")),
            Map.entry(ConcurrencySettings.class, List.of("schedulingMaxRunning")),
            Map.entry(AccessManager.CreateUserRequest.class, List.of("name")),
            Map.entry(AccessResource.PoliciesRequest.class, List.of("policies")),
            Map.entry(AccessResource.PasswordRequest.class, List.of("password")),
            Map.entry(WorkspaceManager.CreateRequest.class, List.of("name", "regionId")),
            Map.entry(WorkspaceManager.MemberRequest.class, List.of("role")),
            Map.entry(WorkspaceManager.AssociateRequest.class, List.of("resourceGroupId")),
            Map.entry(CreateAlertRuleRequest.class, List.of("resourceGroupId", "metric", "comparator", "threshold", "webhookUrl")),
            Map.entry(LifecycleResource.AdvanceRequest.class, List.of("seconds")),
            Map.entry(LifecycleResource.ResumeOnDemandRequest.class, List.of("enabled")),
            Map.entry(dev.srg.group.QuotaSchedule.class, List.of("profiles")),
            Map.entry(dev.srg.billing.BudgetManager.CreateRequest.class, List.of("name", "unit", "amount")),
            Map.entry(SubmitRequest.class, List.of("workspaceId", "type", "script", "cu")),
            Map.entry(dev.srg.image.ImageManager.CreateRequest.class, List.of("name", "base", "resourceGroupId")),
            Map.entry(dev.srg.dataservice.DataServiceManager.CreateGroupRequest.class, List.of("name", "workspaceId", "basePath")),
            Map.entry(dev.srg.dataservice.DataServiceManager.CreateApiRequest.class,
                    List.of("apiGroupId", "name", "path", "mode", "dataSourceId", "resourceGroupId")),
            Map.entry(dev.srg.dataservice.DataServiceManager.CreateAppRequest.class, List.of("name")),
            Map.entry(dev.srg.dataservice.DataServiceManager.ServiceRequest.class, List.of("workspaceId", "cu")));

    private RequestSchemas() {}

    static List<String> required(Class<?> type) {
        return REQUIRED.getOrDefault(type, List.of());
    }

    static Map<Class<?>, List<String>> all() {
        return REQUIRED;
    }
}
