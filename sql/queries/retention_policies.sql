-- The active retention policies (config.data_retention_policies), optionally for one table.
SELECT id, schema_name, table_name, time_column, retention_days, archive_enabled, delete_enabled,
       archive_retention_days, batch_size
  FROM config.data_retention_policies
 WHERE is_active AND (%(schema)s::text IS NULL OR (schema_name = %(schema)s AND table_name = %(table)s))
 ORDER BY schema_name, table_name
