-- When `schemadb refresh-views` last refreshed each materialized view (PostgreSQL keeps no such
-- timestamp); read by `schemadb health`. Created by the runner next to its history table.
CREATE TABLE IF NOT EXISTS {refreshes} (
    view_name    text PRIMARY KEY,
    refreshed_at timestamptz NOT NULL,
    duration_ms  integer NOT NULL,
    was_concurrent boolean NOT NULL
);
COMMENT ON TABLE {refreshes} IS 'schemadb: last refresh of each materialized view by schemadb refresh-views';
