-- Private DNS zones (SPEC NET-9): A records, attached to VPCs; a group's tasks resolve the records
-- of every zone attached to one of its bound VPCs.
CREATE TABLE private_zones (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL
);

-- Deleting a VPC detaches it from its zones.
CREATE TABLE private_zone_vpcs (
    zone_id  text NOT NULL REFERENCES private_zones (id) ON DELETE CASCADE,
    vpc_id   text NOT NULL REFERENCES vpcs (id) ON DELETE CASCADE,
    PRIMARY KEY (zone_id, vpc_id)
);
CREATE INDEX private_zone_vpcs_vpc ON private_zone_vpcs (vpc_id);

CREATE TABLE private_zone_records (
    id          text PRIMARY KEY,
    zone_id     text NOT NULL REFERENCES private_zones (id) ON DELETE CASCADE,
    name        text NOT NULL,
    type        text NOT NULL CHECK (type = 'A'),
    value       text NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (zone_id, name, value)
);
