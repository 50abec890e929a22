-- Rollback of 0011 audit_security_metrics (partitions go with their parents).
DROP TABLE metrics.system_health_metrics;
DROP TABLE metrics.usage_metrics;
DROP TABLE metrics.performance_metrics;
DROP TABLE audit.task_execution_audit;
DROP TABLE audit.security_events;
