-- Rollback of 0014 views: the views first (two read the materialized views), then the function and the MVs.
DROP VIEW core.agent_performance_daily_scoped;
DROP VIEW core.project_task_stats_scoped;
DROP VIEW core.agent_status_summary;
DROP VIEW core.task_performance_summary;
DROP VIEW metrics.system_usage_dashboard;
DROP VIEW metrics.table_sizes;
DROP VIEW metrics.index_usage;
DROP VIEW metrics.slow_queries;
DROP FUNCTION metrics.statement_stats(double precision);
DROP MATERIALIZED VIEW metrics.project_task_stats;
DROP MATERIALIZED VIEW metrics.agent_performance_daily;
