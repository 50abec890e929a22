-- Every materialized view with its last refresh by schemadb (NULL: never), in seconds ago.
SELECT format('%%I.%%I', n.nspname, c.relname) AS view_name, r.refreshed_at,
       extract(epoch FROM now() - r.refreshed_at)::bigint AS age_seconds
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN {refreshes} r ON r.view_name = format('%%I.%%I', n.nspname, c.relname)
 WHERE c.relkind = 'm' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
 ORDER BY 1
