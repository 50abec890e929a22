-- Rollback of 0003 audit_log (its partitions go with the table).
DROP FUNCTION audit.log_row_change();
DROP TABLE audit.audit_logs;
