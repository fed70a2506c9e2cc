package dev.srg.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.srg.billing.OrderInfo;
import dev.srg.group.ResourceGroupInfo;
import java.util.List;

/** The answer to a purchase action on a group (scale, convert, renew): the group now, its order, warnings. */
public record GroupActionResult(ResourceGroupInfo resourceGroup, OrderInfo order,
                                @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> warnings) {}
