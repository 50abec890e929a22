-- 0006 agents: agents, their status history (trigger-written), MCP servers, agent sessions and context vectors (map §2.4, §5.3).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE TABLE core.agents (                                 -- S0, S1, S2, S3, S4
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id      uuid NOT NULL REFERENCES core.organizations ON DELETE CASCADE,
    project_id           uuid,                             -- S2: agent dedicated to one project; NULL = org pool
    handle               text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),  -- S4 agent_id, S2 instance_id
    name                 text NOT NULL,
    kind                 text NOT NULL DEFAULT 'ai' CHECK (kind IN ('ai','human','bot')),   -- S1
    agent_type           config.agent_type NOT NULL,
    status               text NOT NULL DEFAULT 'offline'
                         CHECK (status IN ('offline','online','busy','maintenance','error')),   -- S4 ⊇ S3
    version              text NOT NULL DEFAULT '1.0.0',
    capabilities         text[] NOT NULL DEFAULT '{}',     -- names from config.agent_capabilities
    supported_task_types text[] NOT NULL DEFAULT '{}',     -- names from config.task_types
    configuration        jsonb NOT NULL DEFAULT '{}',      -- keys: working_directory, instructions (CLAUDE.md), custom_commands (S2)
    performance_metrics  jsonb NOT NULL DEFAULT '{}',      -- cached snapshot incl. tdd (S2); the views are authoritative
    mcp_integrations     jsonb NOT NULL DEFAULT '[]',      -- S4
    metadata             jsonb NOT NULL DEFAULT '{}',      -- S1
    host_name            text,                             -- S3
    last_heartbeat_at    timestamptz,
    last_heartbeat_from  inet,                             -- S4 (S3 ip_address)
    deactivated_at       timestamptz,                      -- S3: retired, never hard-deleted once it has worked
    created_by           uuid REFERENCES core.users ON DELETE SET NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (project_id, organization_id) REFERENCES core.projects (id, organization_id)
        ON DELETE SET NULL (project_id)
);
CREATE INDEX idx_agents_org_status   ON core.agents (organization_id, status);
CREATE INDEX idx_agents_project      ON core.agents (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX idx_agents_available    ON core.agents (organization_id, agent_type)
    WHERE status = 'online' AND deactivated_at IS NULL;                     -- S2 idx_agents_active
CREATE INDEX idx_agents_heartbeat    ON core.agents (last_heartbeat_at) WHERE status IN ('online','busy');  -- S4 idx_active_agents
CREATE INDEX idx_agents_capabilities ON core.agents USING gin (capabilities);
CREATE INDEX idx_agents_task_types   ON core.agents USING gin (supported_task_types);

CREATE TABLE core.agent_status_history (                   -- S2, S4; written by trigger (§5.3)
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id        uuid NOT NULL REFERENCES core.agents ON DELETE CASCADE,
    previous_status text,                                  -- no CHECK: history (0.4)
    new_status      text NOT NULL,
    reason          text,                                  -- app.status_reason
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_agent_status_history_agent   ON core.agent_status_history (agent_id, created_at DESC);
CREATE INDEX idx_agent_status_history_created ON core.agent_status_history (created_at);   -- retention delete

CREATE TABLE core.mcp_servers (                            -- S4; global registry (no tenant, §9 Q9)
    id                            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    server_name                   text NOT NULL UNIQUE,
    server_type                   text NOT NULL REFERENCES config.mcp_server_types (server_type) ON UPDATE CASCADE,
    version                       text NOT NULL,
    status                        text NOT NULL DEFAULT 'unknown'
                                  CHECK (status IN ('operational','degraded','error','disabled','unknown')),
    configuration                 jsonb NOT NULL DEFAULT '{}',
    capabilities                  text[] NOT NULL DEFAULT '{}',
    health_check_url              text,
    timeout_seconds               integer NOT NULL DEFAULT 30 CHECK (timeout_seconds > 0),
    retry_attempts                integer NOT NULL DEFAULT 3 CHECK (retry_attempts >= 0),
    last_health_check_at          timestamptz,
    last_successful_connection_at timestamptz,
    created_by                    uuid REFERENCES core.users ON DELETE SET NULL,
    created_at                    timestamptz NOT NULL DEFAULT now(),
    updated_at                    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_mcp_servers_type         ON core.mcp_servers (server_type);
CREATE INDEX idx_mcp_servers_status       ON core.mcp_servers (status);
CREATE INDEX idx_mcp_servers_capabilities ON core.mcp_servers USING gin (capabilities);

CREATE TABLE core.agent_sessions (                         -- S3 "sessions" (agent work sessions)
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id         uuid NOT NULL REFERENCES core.agents ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active','paused','completed','failed')),
    context_snapshot jsonb NOT NULL DEFAULT '{}',
    started_at       timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    ended_at         timestamptz,
    duration         interval GENERATED ALWAYS AS (ended_at - started_at) STORED,
    task_count       integer NOT NULL DEFAULT 0 CHECK (task_count >= 0),       -- summary written at close
    success_rate     numeric(5,4) CHECK (success_rate BETWEEN 0 AND 1),
    metadata         jsonb NOT NULL DEFAULT '{}',          -- mobile_session_id / device_info go here if needed
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agent_sessions_ended_check CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX idx_agent_sessions_agent  ON core.agent_sessions (agent_id, started_at DESC);
CREATE INDEX idx_agent_sessions_active ON core.agent_sessions (agent_id) WHERE status = 'active';   -- S3

CREATE TABLE core.context_vectors (                        -- S3
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id       uuid NOT NULL REFERENCES core.agent_sessions ON DELETE CASCADE,
    context_type     text CHECK (context_type IN ('semantic','collaborative','task')),
    vector_data      real[] NOT NULL CHECK (array_ndims(vector_data) = 1),
    confidence_score numeric(3,2) CHECK (confidence_score BETWEEN 0 AND 1),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_context_vectors_session ON core.context_vectors (session_id);

CREATE FUNCTION core.record_agent_status_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core.agent_status_history (agent_id, previous_status, new_status, reason)
    VALUES (NEW.id,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
            NEW.status,
            nullif(current_setting('app.status_reason', true), ''));
    RETURN NULL;
END $$;

CREATE TRIGGER trg_agents_status_history_insert
    AFTER INSERT ON core.agents
    FOR EACH ROW EXECUTE FUNCTION core.record_agent_status_change();
CREATE TRIGGER trg_agents_status_history_update
    AFTER UPDATE OF status ON core.agents
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION core.record_agent_status_change();

-- Triggers (map §5.4): updated_at maintained by core.set_updated_at(); audited tables log to audit.audit_logs.
CREATE TRIGGER trg_agents_updated_at BEFORE UPDATE ON core.agents
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_agents_audit AFTER INSERT OR UPDATE OR DELETE ON core.agents
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change('ignore=status,last_heartbeat_at,last_heartbeat_from,performance_metrics');
CREATE TRIGGER trg_mcp_servers_updated_at BEFORE UPDATE ON core.mcp_servers
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_mcp_servers_audit AFTER INSERT OR UPDATE OR DELETE ON core.mcp_servers
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change('ignore=status,last_health_check_at,last_successful_connection_at');
CREATE TRIGGER trg_agent_sessions_updated_at BEFORE UPDATE ON core.agent_sessions
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();   -- no WHEN: the table has generated columns

-- Comments on every table (seed 004 style).
COMMENT ON TABLE core.agents IS 'AI, human and bot agents with their type, capabilities and status; retired, never deleted once they worked';
COMMENT ON TABLE core.agent_status_history IS 'Historical record of agent status changes (written by trigger)';
COMMENT ON TABLE core.mcp_servers IS 'MCP servers integrated with the system (global registry) and their health';
COMMENT ON TABLE core.agent_sessions IS 'Agent work sessions with their context snapshot';
COMMENT ON TABLE core.context_vectors IS 'Context embeddings of agent sessions (real[]; pgvector not required)';
