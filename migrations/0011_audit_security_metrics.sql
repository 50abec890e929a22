-- 0011 audit_security_metrics: security events, task execution audit and the three partitioned metrics tables (map §2.9).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE TABLE audit.security_events (                       -- S4
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at       timestamptz NOT NULL DEFAULT now(),   -- S4 timestamp
    organization_id  uuid,                                 -- NULL for pre-authentication events
    user_id          uuid,
    agent_id         uuid,
    session_id       uuid,
    event_type       text NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_.]*$'),
    severity         text NOT NULL CHECK (severity IN ('info','low','medium','high','critical')),
    description      text NOT NULL,
    details          jsonb NOT NULL DEFAULT '{}',
    source_ip        inet,
    user_agent       text,
    blocked          boolean NOT NULL DEFAULT false,
    resolved_at      timestamptz,
    resolved_by      uuid,
    resolution_notes text,
    resolved         boolean GENERATED ALWAYS AS (resolved_at IS NOT NULL) STORED,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_security_events_created   ON audit.security_events (created_at);
CREATE INDEX idx_security_events_open      ON audit.security_events (severity, created_at DESC) WHERE resolved_at IS NULL;
CREATE INDEX idx_security_events_org       ON audit.security_events (organization_id, created_at DESC) WHERE organization_id IS NOT NULL;
CREATE INDEX idx_security_events_user      ON audit.security_events (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX idx_security_events_agent     ON audit.security_events (agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX idx_security_events_source_ip ON audit.security_events (source_ip) WHERE source_ip IS NOT NULL;

CREATE TABLE audit.task_execution_audit (                  -- S4 (FK to tasks dropped, 0.5)
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    organization_id     uuid NOT NULL,
    project_id          uuid,
    task_id             uuid NOT NULL,
    agent_id            uuid NOT NULL,
    created_by_agent_id uuid,                              -- S4 team_leader_id
    execution_phase     text NOT NULL CHECK (execution_phase ~ '^[a-z][a-z0-9_.]*$'),
    phase_status        text NOT NULL CHECK (phase_status IN ('started','completed','failed','timeout','cancelled')),
    duration_ms         integer CHECK (duration_ms >= 0), -- S4 phase_duration_ms
    input_data          jsonb NOT NULL DEFAULT '{}',
    output_data         jsonb NOT NULL DEFAULT '{}',
    error_message       text,
    error_details       jsonb,
    metrics             jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_task_execution_audit_task    ON audit.task_execution_audit (task_id, created_at);
CREATE INDEX idx_task_execution_audit_agent   ON audit.task_execution_audit (agent_id, created_at DESC);
CREATE INDEX idx_task_execution_audit_org     ON audit.task_execution_audit (organization_id, created_at DESC);
CREATE INDEX idx_task_execution_audit_created ON audit.task_execution_audit (created_at);

CREATE TABLE metrics.performance_metrics (                 -- S4; partitioned
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    organization_id uuid,
    agent_id        uuid,
    metric_type     text        NOT NULL CHECK (metric_type ~ '^[a-z][a-z0-9_.]*$'),
    metric_name     text        NOT NULL,
    metric_value    double precision NOT NULL,             -- S4 DECIMAL(15,6)
    metric_unit     text,
    tags            jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_performance_metrics_name         ON metrics.performance_metrics (metric_name, created_at DESC);
CREATE INDEX idx_performance_metrics_agent        ON metrics.performance_metrics (agent_id, created_at DESC) WHERE agent_id IS NOT NULL;
CREATE INDEX idx_performance_metrics_tags         ON metrics.performance_metrics USING gin (tags jsonb_path_ops);
CREATE INDEX idx_performance_metrics_created_brin ON metrics.performance_metrics USING brin (created_at);
CREATE TABLE metrics.performance_metrics_default PARTITION OF metrics.performance_metrics DEFAULT;
SELECT core.ensure_monthly_partitions('metrics.performance_metrics');

CREATE TABLE metrics.usage_metrics (                       -- S4; partitioned
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    date_bucket     date        GENERATED ALWAYS AS ((created_at AT TIME ZONE 'UTC')::date) STORED,   -- S4 fixed
    organization_id uuid,
    user_id         uuid,
    agent_id        uuid,                                  -- new: S4's dashboard counted it
    agent_type      text,                                  -- no CHECK: log (0.4)
    task_type       text,
    metric_type     text        NOT NULL CHECK (metric_type ~ '^[a-z][a-z0-9_.]*$'),  -- tasks_created, api_calls, …
    metric_value    bigint      NOT NULL,
    additional_data jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_usage_metrics_type_day     ON metrics.usage_metrics (metric_type, date_bucket);
CREATE INDEX idx_usage_metrics_org_day      ON metrics.usage_metrics (organization_id, date_bucket) WHERE organization_id IS NOT NULL;
CREATE INDEX idx_usage_metrics_user_day     ON metrics.usage_metrics (user_id, date_bucket) WHERE user_id IS NOT NULL;
CREATE INDEX idx_usage_metrics_created_brin ON metrics.usage_metrics USING brin (created_at);
CREATE TABLE metrics.usage_metrics_default PARTITION OF metrics.usage_metrics DEFAULT;
SELECT core.ensure_monthly_partitions('metrics.usage_metrics');

CREATE TABLE metrics.system_health_metrics (               -- S4; partitioned
    id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    component_name     text        NOT NULL,
    health_status      text        NOT NULL CHECK (health_status IN ('healthy','degraded','unhealthy','unknown')),
    response_time_ms   integer     CHECK (response_time_ms >= 0),
    error_rate         numeric(5,4) CHECK (error_rate BETWEEN 0 AND 1),
    uptime_percentage  numeric(7,4) CHECK (uptime_percentage BETWEEN 0 AND 100),   -- S4 (5,4) could not hold 100
    additional_metrics jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_system_health_component    ON metrics.system_health_metrics (component_name, created_at DESC);
CREATE INDEX idx_system_health_unhealthy    ON metrics.system_health_metrics (created_at DESC) WHERE health_status <> 'healthy';
CREATE INDEX idx_system_health_created_brin ON metrics.system_health_metrics USING brin (created_at);
CREATE TABLE metrics.system_health_metrics_default PARTITION OF metrics.system_health_metrics DEFAULT;
SELECT core.ensure_monthly_partitions('metrics.system_health_metrics');

-- Triggers (map §5.4): updated_at maintained by core.set_updated_at(); audited tables log to audit.audit_logs.
CREATE TRIGGER trg_security_events_updated_at BEFORE UPDATE ON audit.security_events
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();   -- no WHEN: the table has generated columns

-- Comments on every table (seed 004 style).
COMMENT ON TABLE audit.security_events IS 'Security-related events requiring monitoring and response';
COMMENT ON TABLE audit.task_execution_audit IS 'Detailed audit trail of task execution phases';
COMMENT ON TABLE metrics.performance_metrics IS 'Time-series performance metrics for monitoring; monthly partitions';
COMMENT ON TABLE metrics.usage_metrics IS 'Usage metrics for analytics and billing; monthly partitions';
COMMENT ON TABLE metrics.system_health_metrics IS 'System health monitoring metrics; monthly partitions';
