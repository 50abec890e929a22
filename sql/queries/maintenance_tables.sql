-- Tables of the user schemas for VACUUM/ANALYZE: top-level tables (partitioned parents recurse into their
-- partitions) and materialized views, largest first.
SELECT n.nspname AS schema_name, c.relname AS name, c.relkind = 'p' AS partitioned
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%%'
 ORDER BY pg_total_relation_size(c.oid) DESC, 1, 2
