-- Indexes never scanned since the statistics were last reset (unique and primary keys excluded:
-- they enforce constraints), largest first.
SELECT format('%%I.%%I', s.schemaname, s.indexrelname) AS index_name, format('%%I.%%I', s.schemaname, s.relname)
       AS table_name, pg_relation_size(s.indexrelid) AS bytes, s.idx_scan
  FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
 WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = s.indexrelid)
 ORDER BY 3 DESC
 LIMIT 20
