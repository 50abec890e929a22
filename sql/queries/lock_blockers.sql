-- What backend %(pid)s waits for, and who blocks it (pg_blocking_pids): read by the lock monitor
-- while an attempt waits, so that each retry line names the blocker.
SELECT w.locktype, w.mode,
       coalesce((SELECT format('%%I.%%I', n.nspname, c.relname) FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = w.relation),
                CASE w.locktype WHEN 'transactionid' THEN 'transaction ' || w.transactionid
                                WHEN 'virtualxid' THEN 'the snapshot of transaction ' || w.virtualxid
                                ELSE w.locktype END) AS relation,
       b.pid, b.application_name, b.usename, b.state,
       extract(epoch FROM clock_timestamp() - b.xact_start)::float8 AS xact_seconds,
       b.query
  FROM (SELECT * FROM pg_locks WHERE pid = %(pid)s AND NOT granted LIMIT 1) w
 CROSS JOIN LATERAL unnest(pg_blocking_pids(%(pid)s)) AS bp(pid)
  JOIN pg_stat_activity b ON b.pid = bp.pid
 ORDER BY b.xact_start NULLS LAST
