-- Custom images (SPEC RT-1): content-addressed recipes (the id is a hash of base, packages and
-- build script), built once as an IMAGE_BUILD task on a resource group. The files live in the data
-- directory (images/<id>/root); this row is the truth about whether they are usable.
CREATE TABLE images (
    id                text PRIMARY KEY,
    name              text NOT NULL,
    base              text NOT NULL,
    packages          jsonb NOT NULL,
    build_script      text NOT NULL,
    status            text NOT NULL CHECK (status IN ('BUILDING', 'AVAILABLE', 'FAILED')),
    failure_reason    text,
    region_id         text NOT NULL,
    resource_group_id text NOT NULL,
    workspace_id      text NOT NULL,
    build_instance_id text,
    size_bytes        bigint,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL,
    finished_at       timestamptz
);
CREATE INDEX images_building ON images (region_id) WHERE status = 'BUILDING';
