-- Month partitions of a parent whose upper bound is at or before the cutoff (default partition excluded),
-- oldest first, with their bounds and estimated rows.
SELECT n.nspname AS schema_name, c.relname AS name,
       b.lower_bound, b.upper_bound, greatest(c.reltuples, 0)::bigint AS estimated_rows
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL (
       SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz AS lower_bound,
              (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS upper_bound) b
 WHERE i.inhparent = %(parent)s::regclass
   AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
   AND b.upper_bound <= %(cutoff)s::timestamptz
 ORDER BY b.lower_bound
