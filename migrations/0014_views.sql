-- 0014 views: materialized views, tenant-scoped wrappers, security-invoker views and monitoring views (map §4).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE MATERIALIZED VIEW metrics.agent_performance_daily AS                -- S2
SELECT a.id                                                   AS agent_id,
       a.organization_id,
       a.agent_type,
       t.project_id,
       (t.completed_at AT TIME ZONE 'UTC')::date              AS day,
       count(*)                                               AS tasks_finished,
       count(*) FILTER (WHERE t.status = 'completed')         AS tasks_completed,
       count(*) FILTER (WHERE t.status = 'failed')            AS tasks_failed,
       avg(extract(epoch FROM t.completed_at - t.started_at)) AS avg_task_duration_seconds,
       round(count(*) FILTER (WHERE t.status = 'completed')::numeric / count(*), 4) AS success_rate
  FROM core.tasks t
  JOIN core.agents a ON a.id = t.assigned_agent_id
 WHERE t.status IN ('completed', 'failed') AND t.completed_at IS NOT NULL
 GROUP BY a.id, a.organization_id, a.agent_type, t.project_id, (t.completed_at AT TIME ZONE 'UTC')::date
WITH DATA;
CREATE UNIQUE INDEX idx_agent_performance_daily_key     ON metrics.agent_performance_daily (agent_id, project_id, day);
CREATE INDEX        idx_agent_performance_daily_org_day ON metrics.agent_performance_daily (organization_id, day);

CREATE MATERIALIZED VIEW metrics.project_task_stats AS                     -- S2
SELECT p.id                                                                AS project_id,
       p.organization_id,
       count(t.id)                                                         AS total_tasks,
       count(t.id) FILTER (WHERE t.status = 'pending')                     AS pending_tasks,
       count(t.id) FILTER (WHERE t.status IN ('assigned', 'in_progress'))  AS active_tasks,
       count(t.id) FILTER (WHERE t.status = 'completed')                   AS completed_tasks,
       count(t.id) FILTER (WHERE t.status = 'failed')                      AS failed_tasks,
       count(t.id) FILTER (WHERE t.status = 'cancelled')                   AS cancelled_tasks,
       avg(extract(epoch FROM t.completed_at - t.created_at)) FILTER (WHERE t.status = 'completed')
                                                                           AS avg_completion_time_seconds,
       max(t.updated_at)                                                   AS last_activity
  FROM core.projects p
  LEFT JOIN core.tasks t ON t.project_id = p.id
 GROUP BY p.id, p.organization_id
WITH DATA;
CREATE UNIQUE INDEX idx_project_task_stats_key ON metrics.project_task_stats (project_id);

-- tenant-safe wrappers: definer rights (the MV has no RLS) + explicit filter on the caller's session settings
CREATE VIEW core.agent_performance_daily_scoped WITH (security_barrier = true) AS
SELECT * FROM metrics.agent_performance_daily WHERE organization_id = (SELECT core.current_org_id());
CREATE VIEW core.project_task_stats_scoped WITH (security_barrier = true) AS
SELECT * FROM metrics.project_task_stats WHERE project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]);

CREATE VIEW core.agent_status_summary WITH (security_invoker = true) AS   -- S4, without the join fan-out
SELECT a.id AS agent_id, a.organization_id, a.handle, a.name, a.agent_type, a.status,
       a.last_heartbeat_at, a.capabilities,
       t.active_tasks,
       r.total_results,
       r.successful_results,
       r.avg_execution_time_ms,
       round(100.0 * r.successful_results / nullif(r.total_results, 0), 2) AS success_rate_percentage
  FROM core.agents a
  CROSS JOIN LATERAL (SELECT count(*) AS active_tasks
                        FROM core.tasks x
                       WHERE x.assigned_agent_id = a.id AND x.status IN ('assigned', 'in_progress')) t
  CROSS JOIN LATERAL (SELECT count(*)                                   AS total_results,
                             count(*) FILTER (WHERE y.status = 'completed') AS successful_results,
                             avg(y.execution_time_ms)                   AS avg_execution_time_ms
                        FROM core.task_results y
                       WHERE y.agent_id = a.id) r;

CREATE VIEW core.task_performance_summary WITH (security_invoker = true) AS   -- S4, last 30 days, UTC hours
SELECT date_trunc('hour', t.created_at, 'UTC')                AS hour_bucket,
       t.project_id,
       t.agent_type,
       t.task_type,
       count(*)                                               AS total_tasks,
       count(*) FILTER (WHERE t.status = 'completed')         AS completed_tasks,
       count(*) FILTER (WHERE t.status = 'failed')            AS failed_tasks,
       avg(extract(epoch FROM r.created_at - t.created_at))   AS avg_completion_time_seconds,
       avg(r.confidence_score)                                AS avg_confidence_score,
       avg(r.execution_time_ms) / 1000.0                      AS avg_execution_time_seconds,
       sum(r.tokens_used)                                     AS total_tokens_used
  FROM core.tasks t
  LEFT JOIN LATERAL (SELECT tr.created_at, tr.confidence_score, tr.execution_time_ms, tr.tokens_used
                       FROM core.task_results tr
                      WHERE tr.task_id = t.id
                      ORDER BY tr.created_at DESC
                      LIMIT 1) r ON true                    -- latest result per task, no fan-out
 WHERE t.created_at >= now() - interval '30 days'
 GROUP BY 1, 2, 3, 4;

CREATE VIEW metrics.system_usage_dashboard AS              -- S4, fixed (agent_id exists now)
SELECT date_bucket,
       count(DISTINCT user_id)                                                          AS daily_active_users,
       count(DISTINCT agent_id)                                                         AS daily_active_agents,
       coalesce(sum(metric_value) FILTER (WHERE metric_type = 'tasks_created'), 0)      AS tasks_created,
       coalesce(sum(metric_value) FILTER (WHERE metric_type = 'tasks_completed'), 0)    AS tasks_completed,
       coalesce(sum(metric_value) FILTER (WHERE metric_type = 'api_calls'), 0)          AS api_calls,
       coalesce(sum(metric_value) FILTER (WHERE metric_type = 'mcp_calls'), 0)          AS mcp_calls
  FROM metrics.usage_metrics
 WHERE created_at >= now() - interval '90 days'
 GROUP BY date_bucket;

CREATE VIEW metrics.table_sizes AS                         -- S2/S4; partitioned parents summed over their partitions
SELECT n.nspname                                              AS schema_name,
       c.relname                                              AS table_name,
       c.relkind = 'p'                                        AS is_partitioned,
       count(*) FILTER (WHERE t.isleaf AND t.relid <> c.oid)  AS partition_count,
       sum(pg_total_relation_size(t.relid))                   AS total_bytes,
       sum(pg_relation_size(t.relid))                         AS table_bytes,
       sum(pg_indexes_size(t.relid))                          AS index_bytes,
       pg_size_pretty(sum(pg_total_relation_size(t.relid)))   AS total_size
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL pg_partition_tree(c.oid) t
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname IN ('core', 'audit', 'config', 'metrics', 'archive')
 GROUP BY n.nspname, c.relname, c.relkind;

CREATE VIEW metrics.index_usage AS                         -- S2
SELECT s.schemaname AS schema_name, s.relname AS table_name, s.indexrelname AS index_name,
       i.indisunique AS is_unique, s.idx_scan, s.idx_tup_read, s.idx_tup_fetch,
       pg_relation_size(s.indexrelid) AS index_bytes,
       pg_size_pretty(pg_relation_size(s.indexrelid)) AS index_size
  FROM pg_stat_user_indexes s
  JOIN pg_index i ON i.indexrelid = s.indexrelid
 WHERE s.schemaname IN ('core', 'audit', 'config', 'metrics', 'archive');

CREATE FUNCTION metrics.statement_stats(p_min_mean_ms double precision DEFAULT 100)
RETURNS TABLE (query text, calls bigint, total_exec_time double precision, mean_exec_time double precision,
               min_exec_time double precision, max_exec_time double precision,
               stddev_exec_time double precision, rows bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_schema name;
BEGIN
    SELECT n.nspname INTO v_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_stat_statements';
    IF v_schema IS NULL THEN
        RETURN;                                            -- extension not installed: no rows
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT s.query, s.calls, s.total_exec_time, s.mean_exec_time, s.min_exec_time, s.max_exec_time,
                s.stddev_exec_time, s.rows
           FROM %I.pg_stat_statements s
          WHERE s.mean_exec_time > $1
          ORDER BY s.mean_exec_time DESC', v_schema) USING p_min_mean_ms;
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RETURN;                                                -- installed but not in shared_preload_libraries
END $$;

CREATE VIEW metrics.slow_queries AS                        -- S2/S4; empty if pg_stat_statements is unavailable
SELECT * FROM metrics.statement_stats(100);

GRANT SELECT ON core.agent_status_summary, core.task_performance_summary,
                core.agent_performance_daily_scoped, core.project_task_stats_scoped TO app_user, app_readonly;
GRANT SELECT ON metrics.agent_performance_daily, metrics.project_task_stats, metrics.system_usage_dashboard,
                metrics.table_sizes, metrics.index_usage, metrics.slow_queries TO metrics_reader;
REVOKE ALL ON FUNCTION metrics.statement_stats(double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION metrics.statement_stats(double precision) TO metrics_reader;

COMMENT ON MATERIALIZED VIEW metrics.agent_performance_daily IS 'Per agent, project and UTC day: tasks finished, success rate, mean duration (refresh-views)';
COMMENT ON MATERIALIZED VIEW metrics.project_task_stats IS 'Per project: task counts by status and mean completion time (refresh-views)';
COMMENT ON VIEW core.agent_performance_daily_scoped IS 'metrics.agent_performance_daily filtered to the current organization';
COMMENT ON VIEW core.project_task_stats_scoped IS 'metrics.project_task_stats filtered to the projects the caller may see';
COMMENT ON VIEW core.agent_status_summary IS 'Summary view of agent status, active tasks and result statistics (caller''s RLS applies)';
COMMENT ON VIEW core.task_performance_summary IS 'Task performance aggregated by UTC hour over the last 30 days (caller''s RLS applies)';
COMMENT ON VIEW metrics.system_usage_dashboard IS 'Daily usage: active users and agents, tasks, API and MCP calls (last 90 days)';
COMMENT ON VIEW metrics.table_sizes IS 'Table sizes; partitioned tables summed over their partitions';
COMMENT ON VIEW metrics.index_usage IS 'Index scans and sizes of the schema''s indexes';
COMMENT ON VIEW metrics.slow_queries IS 'Statements slower than 100 ms on average; empty without pg_stat_statements';
