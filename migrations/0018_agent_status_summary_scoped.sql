-- 0018 agent_status_summary_scoped: the organization's agent summary without a row-level security check per row.
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction. Fixes forward 0014.
--
-- Before: a security_invoker view, so every task result counted for every agent went through the policy of
-- core.task_results (an EXISTS on core.tasks, itself under RLS): 80,000 checks for one organization of 100 agents,
-- 0.6 s under RLS against 15 ms for the owner (bench_tenant_queries). Now the view reads as its owner and keeps the
-- rows of the caller's organization itself: a caller under RLS (row_security_active) sees the agents of
-- core.tenant_org_id() only (membership-checked, 0016); a caller RLS does not apply to (the owner, cron) sees all.
-- Decided: the counts are organization-level figures. A member limited to some projects sees the counts of the
-- organization's agents over all its projects (numbers, never the tasks or results themselves).

ALTER VIEW core.agent_status_summary SET (security_invoker = false, security_barrier = true);
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
                       WHERE y.agent_id = a.id) r
 WHERE NOT row_security_active('core.agents'::regclass)
    OR a.organization_id = (SELECT core.tenant_org_id());

COMMENT ON VIEW core.agent_status_summary IS
    'Agent status, active tasks and result statistics; under RLS, of the current organization only (membership-checked)';
