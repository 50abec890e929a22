-- The partitions of one parent: name, bounds, estimated rows and size.
SELECT format('%%I.%%I', n.nspname, c.relname) AS partition,
       c.relname AS name,
       pg_get_expr(c.relpartbound, c.oid) AS bounds,
       c.relpartbound IS NOT NULL AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' AS is_default,
       greatest(c.reltuples, 0)::bigint AS estimated_rows,
       pg_total_relation_size(c.oid) AS bytes
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE i.inhparent = %(parent)s::regclass
 ORDER BY c.relname
