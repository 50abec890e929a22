-- Rollback of 0018 agent_status_summary_scoped: the security_invoker view of 0014.

CREATE OR REPLACE VIEW core.agent_status_summary AS
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
ALTER VIEW core.agent_status_summary RESET (security_barrier);
ALTER VIEW core.agent_status_summary SET (security_invoker = true);

COMMENT ON VIEW core.agent_status_summary IS 'Summary view of agent status, active tasks and result statistics (caller''s RLS applies)';
