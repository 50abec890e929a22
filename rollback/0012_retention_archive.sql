-- Rollback of 0012 retention_archive (archived partitions, if any, go with their parents).
DROP TABLE archive.task_execution_audit;
DROP TABLE archive.usage_metrics;
DROP TABLE archive.test_results;
DROP TABLE archive.agent_messages;
DROP TABLE archive.agent_outputs;
DROP TABLE archive.audit_logs;
DROP TABLE config.data_retention_policies;
