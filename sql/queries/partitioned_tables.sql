-- Range-partitioned parent tables of the live schemas (everything but archive and the catalogues),
-- partitioned on one date/timestamp column: the tables `schemadb partitions` keeps in monthly partitions.
SELECT format('%%I.%%I', n.nspname, c.relname) AS parent,
       n.nspname AS schema_name,
       c.relname AS table_name,
       a.attname AS key_column,
       (SELECT format('%%I.%%I', dn.nspname, d.relname) FROM pg_class d JOIN pg_namespace dn ON dn.oid = d.relnamespace
         WHERE d.oid = pt.partdefid) AS default_partition,
       (SELECT dn.nspname FROM pg_class d JOIN pg_namespace dn ON dn.oid = d.relnamespace
         WHERE d.oid = pt.partdefid) AS default_schema,
       (SELECT d.relname FROM pg_class d WHERE d.oid = pt.partdefid) AS default_name
  FROM pg_partitioned_table pt
  JOIN pg_class c ON c.oid = pt.partrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
 WHERE pt.partstrat = 'r' AND pt.partnatts = 1 AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'archive') AND n.nspname NOT LIKE 'pg\_%%'
   AND a.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
   AND (%(schema)s::text IS NULL OR (n.nspname = %(schema)s AND c.relname = %(table)s))
 ORDER BY 1
