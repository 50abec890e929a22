-- The largest tables (a partitioned table summed over its partitions).
SELECT format('%%I.%%I', n.nspname, c.relname) AS table_name,
       sum(pg_total_relation_size(t.relid))::bigint AS total_bytes,
       sum(pg_indexes_size(t.relid))::bigint AS index_bytes,
       count(*) FILTER (WHERE t.isleaf AND t.relid <> c.oid) AS partitions
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL pg_partition_tree(c.oid) t
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%%'
 GROUP BY 1
 ORDER BY 2 DESC
 LIMIT 15
