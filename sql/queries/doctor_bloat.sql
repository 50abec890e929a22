-- A bloat estimate from dead tuples (pgstattuple gives exact numbers but is not always installed).
SELECT format('%%I.%%I', schemaname, relname) AS table_name, n_live_tup, n_dead_tup,
       round(100.0 * n_dead_tup / nullif(n_live_tup + n_dead_tup, 0), 1) AS dead_percent,
       last_autovacuum, last_vacuum
  FROM pg_stat_user_tables
 WHERE n_dead_tup > 1000
 ORDER BY n_dead_tup::float / nullif(n_live_tup + n_dead_tup, 0) DESC
 LIMIT 15
