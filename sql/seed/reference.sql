-- Reference data (map §8.1), re-applied idempotently by `schemadb seed`.
-- The same rows are inserted by migrations 0005 and 0012 (migrations are immutable history); a test
-- checks that this file and the migrations agree. Rows a DBA changed are left alone (DO NOTHING).

INSERT INTO config.task_types (task_type, agent_type, description, default_complexity, max_complexity, default_timeout_seconds) VALUES
    ('general',                  NULL,                'Unclassified task (default; S0, S1, S3 had no type)', 5, 10, NULL),
    ('market_analysis',          'research',          'Analyze market trends and competitive landscape',       5,  8,  300),
    ('competitive_research',     'research',          'Conduct competitive intelligence research',             6,  9,  600),
    ('technology_research',      'research',          'Research emerging technologies and trends',             4,  7,  300),
    ('security_analysis',        'codebase_analyzer', 'Perform security vulnerability analysis',               7, 10,  900),
    ('code_review',              'codebase_analyzer', 'Review code for quality and best practices',            5,  8,  600),
    ('architecture_analysis',    'codebase_analyzer', 'Analyze system architecture and design patterns',       6,  9,  900),
    ('ui_component_development', 'frontend',          'Develop user interface components',                     4,  7, 1200),
    ('api_development',          'backend',           'Develop REST API endpoints',                            5,  8, 1800)
ON CONFLICT (task_type) DO NOTHING;

INSERT INTO config.agent_capabilities (capability_name, agent_type, description, is_mcp_dependent, mcp_server_name) VALUES
    ('web_research',          'research',          'Conduct web-based research using search engines',    true,  'perplexity'),
    ('competitive_analysis',  'research',          'Analyze competitive landscape and market position',  true,  'perplexity'),
    ('knowledge_synthesis',   'research',          'Synthesize information from multiple sources',       false, NULL),
    ('security_scanning',     'codebase_analyzer', 'Scan code for security vulnerabilities',             true,  'serena'),
    ('performance_analysis',  'codebase_analyzer', 'Analyze code performance characteristics',           true,  'serena'),
    ('architecture_review',   'codebase_analyzer', 'Review system architecture and design',              true,  'serena'),
    ('component_development', 'frontend',          'Develop UI components with modern frameworks',       false, NULL),
    ('api_design',            'backend',           'Design and implement REST APIs',                     false, NULL)
ON CONFLICT (capability_name) DO NOTHING;

INSERT INTO config.mcp_server_types (server_type, description, default_configuration) VALUES
    ('research',           'MCP servers for research and knowledge synthesis', '{"timeout": 5,  "retry_attempts": 3}'),
    ('code_analysis',      'MCP servers for code analysis and review',         '{"timeout": 10, "retry_attempts": 2}'),
    ('browser_automation', 'MCP servers for browser automation and testing',   '{"timeout": 30, "retry_attempts": 1}'),
    ('custom',             'Custom MCP servers with specialized functionality','{"timeout": 15, "retry_attempts": 3}')
ON CONFLICT (server_type) DO NOTHING;

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
    ('core',    'user_sessions',         'expires_at',  30, false, true,  NULL)
ON CONFLICT (schema_name, table_name) DO NOTHING;
