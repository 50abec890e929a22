-- Materialized views of the user schemas, the relations each depends on, and whether it can be
-- refreshed CONCURRENTLY (populated, with a unique, non-partial index on plain columns).
SELECT format('%%I.%%I', n.nspname, c.relname) AS view, n.nspname AS schema_name, c.relname AS name,
       c.relispopulated AS populated,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL
                 AND i.indexprs IS NULL AND i.indisvalid) AS has_unique_index,
       coalesce((SELECT array_agg(DISTINCT d.refobjid::regclass::text) FROM pg_rewrite r
                   JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                  WHERE r.ev_class = c.oid AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid),
                '{}') AS depends_on
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'm' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
 ORDER BY 1
