-- 0005 config_reference: the agent_type domain, reference tables with their rows (map §8.1), configuration and system prompts (map §2.3).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE DOMAIN config.agent_type AS text
    CONSTRAINT agent_type_check CHECK (VALUE IN (
        'team_leader','research','codebase_analyzer','frontend','backend',   -- S4
        'codegen','testing','documentation','archon'));                       -- S3 (mobile_controller dropped)

CREATE TABLE config.task_types (                           -- S4 reference
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task_type               text NOT NULL UNIQUE CHECK (task_type ~ '^[a-z][a-z0-9_]*$'),
    agent_type              config.agent_type,             -- NULL: any agent type
    description             text,
    default_complexity      smallint CHECK (default_complexity BETWEEN 1 AND 10),
    max_complexity          smallint CHECK (max_complexity BETWEEN 1 AND 10),
    default_timeout_seconds integer CHECK (default_timeout_seconds > 0),
    is_active               boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_types_complexity_check CHECK (default_complexity <= max_complexity)
);

CREATE TABLE config.agent_capabilities (                   -- S4 reference
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    capability_name  text NOT NULL UNIQUE CHECK (capability_name ~ '^[a-z][a-z0-9_]*$'),
    agent_type       config.agent_type NOT NULL,
    description      text,
    is_mcp_dependent boolean NOT NULL DEFAULT false,
    mcp_server_name  text,                                 -- soft reference to core.mcp_servers.server_name
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agent_capabilities_mcp_check CHECK (is_mcp_dependent = (mcp_server_name IS NOT NULL))
);
CREATE INDEX idx_agent_capabilities_agent_type ON config.agent_capabilities (agent_type);

CREATE TABLE config.mcp_server_types (                     -- S4 reference
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    server_type           text NOT NULL UNIQUE CHECK (server_type ~ '^[a-z][a-z0-9_]*$'),
    description           text,
    default_configuration jsonb NOT NULL DEFAULT '{}',
    is_active             boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE config.system_configuration (                 -- S4
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    config_key      text NOT NULL,
    environment     text NOT NULL DEFAULT 'all' CHECK (environment IN ('all','development','staging','production')),
    config_type     text NOT NULL DEFAULT 'general'
                    CHECK (config_type IN ('general','security','performance','mcp','websocket','agent')),
    config_value    jsonb,
    encrypted_value bytea,                                 -- core.encrypt_sensitive(value::text)
    is_encrypted    boolean GENERATED ALWAYS AS (encrypted_value IS NOT NULL) STORED,
    description     text,
    is_active       boolean NOT NULL DEFAULT true,
    created_by      uuid REFERENCES core.users ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (config_key, environment),
    CONSTRAINT system_configuration_value_check CHECK ((config_value IS NULL) <> (encrypted_value IS NULL))
);
CREATE INDEX idx_system_configuration_type ON config.system_configuration (config_type) WHERE is_active;

CREATE TABLE config.user_configuration (                   -- S4
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES core.users ON DELETE CASCADE,
    config_key   text NOT NULL,
    config_value jsonb NOT NULL,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, config_key)
);

CREATE TABLE config.system_prompts (                       -- S4 core.system_prompts, moved to config
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_type     config.agent_type NOT NULL,
    task_type      text REFERENCES config.task_types (task_type) ON UPDATE CASCADE,   -- NULL: all task types
    prompt_name    text NOT NULL,
    prompt_content text NOT NULL,
    file_path      text NOT NULL,                          -- the external .md file
    version        text NOT NULL DEFAULT '1.0.0',
    checksum       text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),   -- SHA-256 hex of the file
    metadata       jsonb NOT NULL DEFAULT '{}',
    is_active      boolean NOT NULL DEFAULT true,
    created_by     uuid REFERENCES core.users ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT system_prompts_version_key UNIQUE NULLS NOT DISTINCT (agent_type, task_type, prompt_name, version)
);
CREATE UNIQUE INDEX idx_system_prompts_one_active ON config.system_prompts (agent_type, task_type, prompt_name)
    NULLS NOT DISTINCT WHERE is_active;
CREATE INDEX idx_system_prompts_task_type ON config.system_prompts (task_type) WHERE task_type IS NOT NULL;
CREATE INDEX idx_system_prompts_file_path ON config.system_prompts (file_path);

INSERT INTO config.task_types (task_type, agent_type, description, default_complexity, max_complexity, default_timeout_seconds) VALUES
    ('general',                  NULL,                'Unclassified task (default; S0, S1, S3 had no type)', 5, 10, NULL),
    ('market_analysis',          'research',          'Analyze market trends and competitive landscape',       5,  8,  300),
    ('competitive_research',     'research',          'Conduct competitive intelligence research',             6,  9,  600),
    ('technology_research',      'research',          'Research emerging technologies and trends',             4,  7,  300),
    ('security_analysis',        'codebase_analyzer', 'Perform security vulnerability analysis',               7, 10,  900),
    ('code_review',              'codebase_analyzer', 'Review code for quality and best practices',            5,  8,  600),
    ('architecture_analysis',    'codebase_analyzer', 'Analyze system architecture and design patterns',       6,  9,  900),
    ('ui_component_development', 'frontend',          'Develop user interface components',                     4,  7, 1200),
    ('api_development',          'backend',           'Develop REST API endpoints',                            5,  8, 1800);

INSERT INTO config.agent_capabilities (capability_name, agent_type, description, is_mcp_dependent, mcp_server_name) VALUES
    ('web_research',          'research',          'Conduct web-based research using search engines',    true,  'perplexity'),
    ('competitive_analysis',  'research',          'Analyze competitive landscape and market position',  true,  'perplexity'),
    ('knowledge_synthesis',   'research',          'Synthesize information from multiple sources',       false, NULL),
    ('security_scanning',     'codebase_analyzer', 'Scan code for security vulnerabilities',             true,  'serena'),
    ('performance_analysis',  'codebase_analyzer', 'Analyze code performance characteristics',           true,  'serena'),
    ('architecture_review',   'codebase_analyzer', 'Review system architecture and design',              true,  'serena'),
    ('component_development', 'frontend',          'Develop UI components with modern frameworks',       false, NULL),
    ('api_design',            'backend',           'Design and implement REST APIs',                     false, NULL);

INSERT INTO config.mcp_server_types (server_type, description, default_configuration) VALUES
    ('research',           'MCP servers for research and knowledge synthesis', '{"timeout": 5,  "retry_attempts": 3}'),
    ('code_analysis',      'MCP servers for code analysis and review',         '{"timeout": 10, "retry_attempts": 2}'),
    ('browser_automation', 'MCP servers for browser automation and testing',   '{"timeout": 30, "retry_attempts": 1}'),
    ('custom',             'Custom MCP servers with specialized functionality','{"timeout": 15, "retry_attempts": 3}');

-- Triggers (map §5.4): updated_at maintained by core.set_updated_at(); audited tables log to audit.audit_logs.
CREATE TRIGGER trg_task_types_updated_at BEFORE UPDATE ON config.task_types
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_task_types_audit AFTER INSERT OR UPDATE OR DELETE ON config.task_types
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change();
CREATE TRIGGER trg_agent_capabilities_updated_at BEFORE UPDATE ON config.agent_capabilities
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_agent_capabilities_audit AFTER INSERT OR UPDATE OR DELETE ON config.agent_capabilities
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change();
CREATE TRIGGER trg_mcp_server_types_updated_at BEFORE UPDATE ON config.mcp_server_types
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_mcp_server_types_audit AFTER INSERT OR UPDATE OR DELETE ON config.mcp_server_types
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change();
CREATE TRIGGER trg_system_configuration_updated_at BEFORE UPDATE ON config.system_configuration
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();   -- no WHEN: the table has generated columns
CREATE TRIGGER trg_system_configuration_audit AFTER INSERT OR UPDATE OR DELETE ON config.system_configuration
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change('redact=encrypted_value');
CREATE TRIGGER trg_user_configuration_updated_at BEFORE UPDATE ON config.user_configuration
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_system_prompts_updated_at BEFORE UPDATE ON config.system_prompts
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_system_prompts_audit AFTER INSERT OR UPDATE OR DELETE ON config.system_prompts
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change();

-- Comments on every table (seed 004 style).
COMMENT ON TABLE config.task_types IS 'Reference data: valid task types with default complexity and timeout';
COMMENT ON TABLE config.agent_capabilities IS 'Reference data: capabilities an agent type may have, and the MCP server they need';
COMMENT ON TABLE config.mcp_server_types IS 'Reference data: kinds of MCP servers and their default configuration';
COMMENT ON TABLE config.system_configuration IS 'System-wide configuration per environment; secrets stored encrypted';
COMMENT ON TABLE config.user_configuration IS 'Per-user preferences (visible only to that user)';
COMMENT ON TABLE config.system_prompts IS 'Versioned system prompts for agents, loaded from external .md files; one active version each';
