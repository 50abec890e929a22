-- 0012 retention_archive: retention policies with their rows (map §8.1) and the archive tables (map §2.10).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE TABLE config.data_retention_policies (              -- S2
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    schema_name            text NOT NULL,
    table_name             text NOT NULL,                  -- text, not regclass: survives dump/restore and drops
    time_column            text NOT NULL DEFAULT 'created_at',
    retention_days         integer NOT NULL CHECK (retention_days > 0),
    archive_enabled        boolean NOT NULL DEFAULT true,
    delete_enabled         boolean NOT NULL DEFAULT false,
    archive_retention_days integer CHECK (archive_retention_days > 0),
    batch_size             integer NOT NULL DEFAULT 10000 CHECK (batch_size > 0),
    is_active              boolean NOT NULL DEFAULT true,
    last_run_at            timestamptz,
    last_run_rows          bigint,
    last_error             text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (schema_name, table_name),
    CONSTRAINT data_retention_policies_action_check CHECK (archive_enabled OR delete_enabled),
    CONSTRAINT data_retention_policies_purge_check
        CHECK ((archive_retention_days IS NOT NULL) = (archive_enabled AND delete_enabled))
);

-- archive parents mirror the live columns at migration time; no FKs, no CHECKs, no RLS
CREATE TABLE archive.audit_logs     (LIKE audit.audit_logs     INCLUDING DEFAULTS INCLUDING GENERATED) PARTITION BY RANGE (created_at);
CREATE TABLE archive.agent_outputs  (LIKE core.agent_outputs   INCLUDING DEFAULTS INCLUDING GENERATED) PARTITION BY RANGE (created_at);
CREATE TABLE archive.agent_messages (LIKE core.agent_messages  INCLUDING DEFAULTS INCLUDING GENERATED) PARTITION BY RANGE (created_at);
CREATE TABLE archive.test_results   (LIKE core.test_results    INCLUDING DEFAULTS INCLUDING GENERATED) PARTITION BY RANGE (created_at);
CREATE TABLE archive.usage_metrics  (LIKE metrics.usage_metrics INCLUDING DEFAULTS INCLUDING GENERATED) PARTITION BY RANGE (created_at);
ALTER TABLE archive.audit_logs     ADD PRIMARY KEY (id, created_at);
ALTER TABLE archive.agent_outputs  ADD PRIMARY KEY (id, created_at);
ALTER TABLE archive.agent_messages ADD PRIMARY KEY (id, created_at);
ALTER TABLE archive.test_results   ADD PRIMARY KEY (id, created_at);
ALTER TABLE archive.usage_metrics  ADD PRIMARY KEY (id, created_at);
CREATE TABLE archive.task_execution_audit (LIKE audit.task_execution_audit INCLUDING DEFAULTS);
ALTER TABLE archive.task_execution_audit ADD PRIMARY KEY (id);
CREATE INDEX idx_archive_task_execution_audit_created ON archive.task_execution_audit (created_at);

INSERT INTO config.data_retention_policies
       (schema_name, table_name, time_column, retention_days, archive_enabled, delete_enabled, archive_retention_days) VALUES
    ('core',    'agent_outputs',         'created_at',  90, true,  false, NULL),   -- S2
    ('core',    'agent_messages',        'created_at',  30, true,  true,    90),   -- S2; purge age chosen (§9 Q2)
    ('audit',   'audit_logs',            'created_at', 365, true,  false, NULL),   -- S2 (S4's 90-day delete rejected)
    ('core',    'test_results',          'created_at', 180, true,  false, NULL),   -- S2
    ('core',    'agent_status_history',  'created_at',  30, false, true,  NULL),   -- S2
    ('audit',   'task_execution_audit',  'created_at', 365, true,  false, NULL),   -- new (§9 Q3)
    ('metrics', 'performance_metrics',   'created_at',  90, false, true,  NULL),   -- new
    ('metrics', 'system_health_metrics', 'created_at',  30, false, true,  NULL),   -- new
    ('metrics', 'usage_metrics',         'created_at', 400, true,  false, NULL),   -- new (a billing year + margin)
    ('core',    'user_sessions',         'expires_at',  30, false, true,  NULL);   -- new: expired sessions

-- Triggers (map §5.4): updated_at maintained by core.set_updated_at(); audited tables log to audit.audit_logs.
CREATE TRIGGER trg_data_retention_policies_updated_at BEFORE UPDATE ON config.data_retention_policies
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_data_retention_policies_audit AFTER INSERT OR UPDATE OR DELETE ON config.data_retention_policies
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change('ignore=last_run_at,last_run_rows,last_error');

-- Comments on every table (seed 004 style).
COMMENT ON TABLE config.data_retention_policies IS 'Retention policies applied by schemadb archive (archive, delete, purge)';
COMMENT ON TABLE archive.audit_logs IS 'Archived audit.audit_logs partitions (moved by schemadb archive)';
COMMENT ON TABLE archive.agent_outputs IS 'Archived core.agent_outputs partitions';
COMMENT ON TABLE archive.agent_messages IS 'Archived core.agent_messages partitions (purged after archive_retention_days)';
COMMENT ON TABLE archive.test_results IS 'Archived core.test_results partitions';
COMMENT ON TABLE archive.usage_metrics IS 'Archived metrics.usage_metrics partitions';
COMMENT ON TABLE archive.task_execution_audit IS 'Archived audit.task_execution_audit rows (moved in batches)';
