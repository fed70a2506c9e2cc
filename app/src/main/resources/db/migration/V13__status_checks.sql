-- Status and kind columns hold only the names of their Java enums; a CHECK makes the database
-- refuse anything else (a typo in hand-written SQL, a value from a newer or older server), so a
-- bad value fails where it is written instead of where it is read back. Every value listed is
-- the name of an enum constant the code binds with .name(); the instances table is not here (the
-- execution model's migration constrains it).

ALTER TABLE resource_groups
    ADD CONSTRAINT resource_groups_status_check CHECK (status IN
        ('CREATING', 'RUNNING', 'SCALING', 'CONVERTING', 'FROZEN', 'EXPIRED', 'RELEASING', 'RELEASED')),
    ADD CONSTRAINT resource_groups_billing_mode_check CHECK (billing_mode IN ('SUBSCRIPTION', 'PAY_AS_YOU_GO')),
    ADD CONSTRAINT resource_groups_cycle_unit_check CHECK (cycle_unit IS NULL OR cycle_unit IN ('MONTH', 'YEAR'));

ALTER TABLE resource_group_quotas
    ADD CONSTRAINT resource_group_quotas_usage_type_check CHECK (usage_type IN ('SCHEDULING', 'DATA_INTEGRATION',
        'DATA_SERVICE', 'DATA_ANALYSIS', 'CONNECTIVITY_TEST', 'METADATA_COLLECTION', 'DEV_ENVIRONMENT', 'MODEL_SERVICE'));

ALTER TABLE orders
    ADD CONSTRAINT orders_type_check CHECK (type IN ('CREATE', 'SCALE_OUT', 'SCALE_IN', 'RENEW', 'AUTO_RENEW', 'CONVERT')),
    ADD CONSTRAINT orders_billing_mode_check CHECK (billing_mode IN ('SUBSCRIPTION', 'PAY_AS_YOU_GO')),
    ADD CONSTRAINT orders_cycle_unit_check CHECK (cycle_unit IS NULL OR cycle_unit IN ('MONTH', 'YEAR'));

ALTER TABLE workspace_members
    ADD CONSTRAINT workspace_members_role_check CHECK (role IN ('ADMIN', 'DEVELOPER', 'OPERATOR', 'VISITOR'));

ALTER TABLE vpc_routes
    ADD CONSTRAINT vpc_routes_via_check CHECK (via IN ('VPC_PEERING', 'VPN_GATEWAY', 'EXPRESS_CONNECT', 'CEN'));

ALTER TABLE alert_rules
    ADD CONSTRAINT alert_rules_state_check CHECK (state IN ('OK', 'PENDING', 'FIRING', 'RESOLVED')),
    ADD CONSTRAINT alert_rules_metric_check CHECK (metric IN ('CU_UTILIZATION', 'PENDING_INSTANCES')),
    ADD CONSTRAINT alert_rules_comparator_check CHECK (comparator IN ('GT', 'GE', 'LT', 'LE'));

-- alert_events is also the webhook outbox: delivery is its state
ALTER TABLE alert_events
    ADD CONSTRAINT alert_events_from_state_check CHECK (from_state IN ('OK', 'PENDING', 'FIRING', 'RESOLVED')),
    ADD CONSTRAINT alert_events_to_state_check CHECK (to_state IN ('OK', 'PENDING', 'FIRING', 'RESOLVED')),
    ADD CONSTRAINT alert_events_delivery_check CHECK (delivery IN ('NONE', 'PENDING', 'DELIVERED', 'FAILED'));

-- usage history: one row per usage type, and ALL for the group as a whole
ALTER TABLE usage_points
    ADD CONSTRAINT usage_points_usage_type_check CHECK (usage_type IN ('ALL', 'SCHEDULING', 'DATA_INTEGRATION',
        'DATA_SERVICE', 'DATA_ANALYSIS', 'CONNECTIVITY_TEST', 'METADATA_COLLECTION', 'DEV_ENVIRONMENT', 'MODEL_SERVICE'));
