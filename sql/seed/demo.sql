-- Demo data set (map §8.2), loaded by `schemadb seed --demo` in one transaction, as the owner.
-- Fixed ids de000000-0000-4000-8000-0000000000NN; timestamps relative to now(). The runner loads it only
-- when the demo organization is absent (`--reset` deletes it first: demo_reset.sql). Demo users have no
-- password (auth_provider local, password_hash NULL): nobody can log in with a known password.

-- partitions for the last month to three ahead, so recent timestamps land in real partitions
SELECT core.ensure_monthly_partitions(t::regclass, 3, 1)
  FROM unnest(ARRAY['audit.audit_logs', 'core.agent_outputs', 'core.agent_messages', 'core.test_results',
                    'metrics.performance_metrics', 'metrics.usage_metrics', 'metrics.system_health_metrics']) AS t;

-- the audit trail names alice as the acting user of the demo writes
SELECT set_config('app.current_org_id', 'de000000-0000-4000-8000-000000000001', true),
       set_config('app.current_user_id', 'de000000-0000-4000-8000-000000000011', true);

INSERT INTO core.organizations (id, slug, name, subscription_tier)
VALUES ('de000000-0000-4000-8000-000000000001', 'demo', 'Demo Organization', 'free');

INSERT INTO core.users (id, email, name, auth_provider, password_hash) VALUES
    ('de000000-0000-4000-8000-000000000011', 'alice@example.com', 'Alice', 'local', NULL),
    ('de000000-0000-4000-8000-000000000012', 'bob@example.com',   'Bob',   'local', NULL),
    ('de000000-0000-4000-8000-000000000013', 'carol@example.com', 'Carol', 'local', NULL);

INSERT INTO core.organization_members (id, organization_id, user_id, role) VALUES
    ('de000000-0000-4000-8000-0000000000a1', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000011', 'owner'),
    ('de000000-0000-4000-8000-0000000000a2', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000012', 'member'),
    ('de000000-0000-4000-8000-0000000000a3', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000013', 'viewer');

INSERT INTO core.projects (id, organization_id, slug, name, description, repository_url, created_by)
VALUES ('de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000001', 'demo-app', 'Demo App',
        'A web application built by the demo agent team', 'https://github.com/demo/demo-app',
        'de000000-0000-4000-8000-000000000011');

INSERT INTO core.project_members (id, project_id, user_id, role, added_by) VALUES
    ('de000000-0000-4000-8000-0000000000a4', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000012', 'developer', 'de000000-0000-4000-8000-000000000011'),
    ('de000000-0000-4000-8000-0000000000a5', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000013', 'viewer',    'de000000-0000-4000-8000-000000000011');

-- one agent per agent_type; the insert trigger writes their status history
INSERT INTO core.agents (id, organization_id, handle, name, agent_type, status, capabilities, supported_task_types,
                         last_heartbeat_at, created_by) VALUES
    ('de000000-0000-4000-8000-000000000031', 'de000000-0000-4000-8000-000000000001', 'demo-team-leader', 'Team Leader', 'team_leader', 'online', '{}', '{general}', now() - interval '1 minute', 'de000000-0000-4000-8000-000000000011'),
    ('de000000-0000-4000-8000-000000000032', 'de000000-0000-4000-8000-000000000001', 'demo-research', 'Researcher', 'research', 'online', '{web_research,knowledge_synthesis}', '{market_analysis,competitive_research,technology_research}', now() - interval '2 minutes', 'de000000-0000-4000-8000-000000000011'),
    ('de000000-0000-4000-8000-000000000033', 'de000000-0000-4000-8000-000000000001', 'demo-codebase-analyzer', 'Codebase Analyzer', 'codebase_analyzer', 'online', '{security_scanning}', '{security_analysis,code_review}', now() - interval '1 minute', 'de000000-0000-4000-8000-000000000011'),
    ('de000000-0000-4000-8000-000000000034', 'de000000-0000-4000-8000-000000000001', 'demo-frontend', 'Frontend Developer', 'frontend', 'busy', '{component_development}', '{ui_component_development}', now() - interval '30 seconds', 'de000000-0000-4000-8000-000000000011'),
    ('de000000-0000-4000-8000-000000000035', 'de000000-0000-4000-8000-000000000001', 'demo-backend', 'Backend Developer', 'backend', 'online', '{api_design}', '{api_development}', now() - interval '1 minute', 'de000000-0000-4000-8000-000000000011'),
    ('de000000-0000-4000-8000-000000000036', 'de000000-0000-4000-8000-000000000001', 'demo-codegen', 'Code Generator', 'codegen', 'offline', '{}', '{general}', now() - interval '2 days', 'de000000-0000-4000-8000-000000000011'),
    ('de000000-0000-4000-8000-000000000037', 'de000000-0000-4000-8000-000000000001', 'demo-testing', 'Tester', 'testing', 'online', '{}', '{general}', now() - interval '1 minute', 'de000000-0000-4000-8000-000000000011'),
    ('de000000-0000-4000-8000-000000000038', 'de000000-0000-4000-8000-000000000001', 'demo-documentation', 'Technical Writer', 'documentation', 'maintenance', '{}', '{general}', now() - interval '3 hours', 'de000000-0000-4000-8000-000000000011'),
    ('de000000-0000-4000-8000-000000000039', 'de000000-0000-4000-8000-000000000001', 'demo-archon', 'Archon', 'archon', 'error', '{}', '{general}', now() - interval '5 hours', 'de000000-0000-4000-8000-000000000011');

INSERT INTO core.mcp_servers (id, server_name, server_type, version, status, capabilities, last_health_check_at,
                              last_successful_connection_at) VALUES
    ('de000000-0000-4000-8000-000000000041', 'perplexity', 'research', '1.0.0', 'operational', '{search,summarize}', now() - interval '5 minutes', now() - interval '5 minutes'),
    ('de000000-0000-4000-8000-000000000042', 'serena', 'code_analysis', '1.0.0', 'operational', '{find_symbol,scan}', now() - interval '5 minutes', now() - interval '5 minutes');

INSERT INTO core.plans (id, project_id, title, description, status, priority, created_by, deadline_at)
VALUES ('de000000-0000-4000-8000-000000000051', 'de000000-0000-4000-8000-000000000021', 'MVP',
        'Login, research and documentation for the first release', 'active', 7,
        'de000000-0000-4000-8000-000000000011', now() + interval '30 days');

INSERT INTO core.workflows (id, project_id, name, workflow_type, definition, status, created_by)
VALUES ('de000000-0000-4000-8000-000000000061', 'de000000-0000-4000-8000-000000000021', 'tdd-feature', 'tdd',
        '{"steps": ["red", "green", "refactor"], "edges": [["red", "green"], ["green", "refactor"]]}', 'active',
        'de000000-0000-4000-8000-000000000011');
INSERT INTO core.workflow_executions (id, project_id, workflow_id, status, started_by, started_at)
VALUES ('de000000-0000-4000-8000-000000000062', 'de000000-0000-4000-8000-000000000021',
        'de000000-0000-4000-8000-000000000061', 'in_progress', 'de000000-0000-4000-8000-000000000011',
        now() - interval '2 hours');

INSERT INTO core.github_repositories (id, project_id, github_id, owner, name, full_name)
VALUES ('de000000-0000-4000-8000-000000000063', 'de000000-0000-4000-8000-000000000021', '100001', 'demo', 'demo-app', 'demo/demo-app');
INSERT INTO core.github_issues (id, repository_id, github_id, number, title, state, author_login, github_created_at)
VALUES ('de000000-0000-4000-8000-000000000064', 'de000000-0000-4000-8000-000000000063', '200001', 1,
        'Implement POST /auth/login', 'open', 'alice', now() - interval '1 day');
INSERT INTO core.github_pull_requests (id, repository_id, github_id, number, title, state, head_ref, base_ref, draft,
                                       author_login, github_created_at)
VALUES ('de000000-0000-4000-8000-000000000065', 'de000000-0000-4000-8000-000000000063', '300002', 2,
        'Login form', 'open', 'feature/login-form', 'main', true, 'demo-frontend', now() - interval '3 hours');

-- tasks in several states (status transitions are checked on update only, so they are inserted as they are)
INSERT INTO core.tasks (id, project_id, plan_id, parent_task_id, workflow_execution_id, title, description, task_type,
                        agent_type, status, priority, assigned_agent_id, created_by, created_by_agent_id, tdd_phase,
                        github_issue_id, github_pull_request_id, progress_percentage, started_at, completed_at,
                        created_at) VALUES
    ('de000000-0000-4000-8000-000000000071', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000051', NULL, NULL,
     'Plan MVP milestones', 'Break the MVP into milestones and tasks', 'general', 'team_leader', 'completed', 8,
     'de000000-0000-4000-8000-000000000031', 'de000000-0000-4000-8000-000000000011', NULL, NULL, NULL, NULL, 100,
     now() - interval '2 days', now() - interval '47 hours', now() - interval '2 days'),
    ('de000000-0000-4000-8000-000000000072', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000051', NULL, NULL,
     'Research competitor onboarding', 'How do competitors onboard new users?', 'market_analysis', 'research', 'completed', 5,
     'de000000-0000-4000-8000-000000000032', 'de000000-0000-4000-8000-000000000011', NULL, NULL, NULL, NULL, 100,
     now() - interval '40 hours', now() - interval '38 hours', now() - interval '41 hours'),
    ('de000000-0000-4000-8000-000000000073', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000051', 'de000000-0000-4000-8000-000000000071', NULL,
     'Security review of auth module', 'Review the authentication module for vulnerabilities', 'security_analysis', 'codebase_analyzer', 'failed', 9,
     'de000000-0000-4000-8000-000000000033', NULL, 'de000000-0000-4000-8000-000000000031', NULL, NULL, NULL, 40,
     now() - interval '30 hours', now() - interval '29 hours', now() - interval '31 hours'),
    ('de000000-0000-4000-8000-000000000074', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000051', 'de000000-0000-4000-8000-000000000071', NULL,
     'Build login form', 'E-mail and password form with validation', 'ui_component_development', 'frontend', 'in_progress', 7,
     'de000000-0000-4000-8000-000000000034', NULL, 'de000000-0000-4000-8000-000000000031', NULL, NULL, 'de000000-0000-4000-8000-000000000065', 60,
     now() - interval '4 hours', NULL, now() - interval '5 hours'),
    ('de000000-0000-4000-8000-000000000075', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000051', NULL, 'de000000-0000-4000-8000-000000000062',
     'Write failing tests for POST /auth/login', 'Red phase: tests for the login endpoint', 'general', 'testing', 'assigned', 7,
     'de000000-0000-4000-8000-000000000037', NULL, 'de000000-0000-4000-8000-000000000031', 'red', NULL, NULL, 0,
     NULL, NULL, now() - interval '2 hours'),
    ('de000000-0000-4000-8000-000000000076', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000051', NULL, NULL,
     'Implement POST /auth/login', 'Green phase: make the login tests pass', 'api_development', 'backend', 'pending', 7,
     NULL, NULL, 'de000000-0000-4000-8000-000000000031', 'green', 'de000000-0000-4000-8000-000000000064', NULL, 0,
     NULL, NULL, now() - interval '2 hours'),
    ('de000000-0000-4000-8000-000000000077', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000051', NULL, NULL,
     'Document the auth API', 'Reference documentation for the auth endpoints', 'general', 'documentation', 'pending', 4,
     NULL, NULL, 'de000000-0000-4000-8000-000000000031', NULL, NULL, NULL, 0, NULL, NULL, now() - interval '2 hours'),
    ('de000000-0000-4000-8000-000000000078', 'de000000-0000-4000-8000-000000000021', NULL, NULL, NULL,
     'Generate TypeScript client', 'Superseded by the OpenAPI generator', 'general', 'codegen', 'cancelled', 3,
     NULL, NULL, 'de000000-0000-4000-8000-000000000031', NULL, NULL, NULL, 0, NULL, NULL, now() - interval '1 day');

INSERT INTO core.task_dependencies (id, project_id, task_id, depends_on_task_id, dependency_type) VALUES
    ('de000000-0000-4000-8000-0000000000b1', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000076', 'de000000-0000-4000-8000-000000000075', 'finish_to_start'),
    ('de000000-0000-4000-8000-0000000000b2', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000077', 'de000000-0000-4000-8000-000000000076', 'finish_to_start');

INSERT INTO core.task_results (id, task_id, agent_id, status, content, confidence_score, execution_time_ms, tokens_used,
                               mcp_calls, api_calls, sources, created_at) VALUES
    ('de000000-0000-4000-8000-0000000000b3', 'de000000-0000-4000-8000-000000000071', 'de000000-0000-4000-8000-000000000031', 'completed',
     'Milestones: login, research, documentation', 0.90, 42000, 3200, 0, 4, '[]', now() - interval '47 hours'),
    ('de000000-0000-4000-8000-0000000000b4', 'de000000-0000-4000-8000-000000000072', 'de000000-0000-4000-8000-000000000032', 'completed',
     'Competitors use magic links and social login', 0.85, 95000, 12800, 6, 9,
     '["https://example.com/onboarding-study", "https://example.com/saas-benchmarks"]', now() - interval '38 hours'),
    ('de000000-0000-4000-8000-0000000000b5', 'de000000-0000-4000-8000-000000000073', 'de000000-0000-4000-8000-000000000033', 'failed',
     'Analysis stopped: the serena MCP server timed out', 0.20, 300000, 5100, 3, 2, '[]', now() - interval '29 hours');

INSERT INTO core.task_messages (id, task_id, sender_type, sender_user_id, sender_agent_id, content, created_at) VALUES
    ('de000000-0000-4000-8000-0000000000b6', 'de000000-0000-4000-8000-000000000074', 'user', 'de000000-0000-4000-8000-000000000011', NULL,
     'Please add a "show password" toggle.', now() - interval '3 hours'),
    ('de000000-0000-4000-8000-0000000000b7', 'de000000-0000-4000-8000-000000000074', 'agent', NULL, 'de000000-0000-4000-8000-000000000034',
     'Added; it is in the draft pull request #2.', now() - interval '150 minutes');

INSERT INTO core.agent_messages (id, created_at, organization_id, message_id, sender_type, sender_agent_id, recipient_type,
                                 recipient_agent_id, task_id, message_type, priority, payload, delivered_at, processed_at) VALUES
    ('de000000-0000-4000-8000-0000000000c1', now() - interval '4 hours', 'de000000-0000-4000-8000-000000000001', 'demo-msg-1', 'agent',
     'de000000-0000-4000-8000-000000000031', 'agent', 'de000000-0000-4000-8000-000000000034', 'de000000-0000-4000-8000-000000000074',
     'task.assigned', 7, '{"task": "Build login form"}', now() - interval '4 hours', now() - interval '4 hours'),
    ('de000000-0000-4000-8000-0000000000c2', now() - interval '10 minutes', 'de000000-0000-4000-8000-000000000001', 'demo-msg-2', 'agent',
     'de000000-0000-4000-8000-000000000031', 'broadcast', NULL, NULL,
     'status.update', 5, '{"status": "sprint 1 in progress"}', NULL, NULL);
INSERT INTO core.message_queue (id, message_id, message_created_at, status, scheduled_for)
SELECT 'de000000-0000-4000-8000-0000000000c3', m.id, m.created_at, 'pending', now() + interval '1 minute'
  FROM core.agent_messages m WHERE m.id = 'de000000-0000-4000-8000-0000000000c2';

INSERT INTO core.agent_outputs (id, created_at, agent_id, task_id, output_type, content) VALUES
    ('de000000-0000-4000-8000-0000000000c4', now() - interval '5 minutes', 'de000000-0000-4000-8000-000000000031', NULL, 'status', 'coordinating 8 tasks'),
    ('de000000-0000-4000-8000-0000000000c5', now() - interval '20 minutes', 'de000000-0000-4000-8000-000000000034', 'de000000-0000-4000-8000-000000000074', 'log', 'rendered LoginForm with 3 fields'),
    ('de000000-0000-4000-8000-0000000000c6', now() - interval '38 hours', 'de000000-0000-4000-8000-000000000032', 'de000000-0000-4000-8000-000000000072', 'metric', 'sources_found=12');

INSERT INTO core.agent_sessions (id, agent_id, status, context_snapshot, started_at)
VALUES ('de000000-0000-4000-8000-0000000000c7', 'de000000-0000-4000-8000-000000000034', 'active',
        '{"task": "Build login form", "files": ["src/LoginForm.tsx"]}', now() - interval '4 hours');
INSERT INTO core.context_vectors (id, session_id, context_type, vector_data, confidence_score)
VALUES ('de000000-0000-4000-8000-0000000000c8', 'de000000-0000-4000-8000-0000000000c7', 'task',
        '{0.12,-0.03,0.44,0.08,-0.27,0.31,0.05,-0.11}', 0.80);

INSERT INTO core.test_suites (id, project_id, task_id, name, test_framework, total_tests, passed_tests, failed_tests,
                              skipped_tests, duration_ms, executed_at)
VALUES ('de000000-0000-4000-8000-0000000000c9', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-000000000075',
        'auth login tests', 'pytest', 3, 1, 1, 1, 840, now() - interval '90 minutes');
INSERT INTO core.test_results (id, created_at, test_suite_id, test_name, test_path, status, duration_ms, error_message) VALUES
    ('de000000-0000-4000-8000-0000000000ca', now() - interval '90 minutes', 'de000000-0000-4000-8000-0000000000c9', 'test_login_ok', 'tests/test_auth.py', 'passed', 310, NULL),
    ('de000000-0000-4000-8000-0000000000cb', now() - interval '90 minutes', 'de000000-0000-4000-8000-0000000000c9', 'test_login_wrong_password', 'tests/test_auth.py', 'failed', 420, 'expected 401, got 500'),
    ('de000000-0000-4000-8000-0000000000cc', now() - interval '90 minutes', 'de000000-0000-4000-8000-0000000000c9', 'test_login_locked_account', 'tests/test_auth.py', 'skipped', 0, NULL);
INSERT INTO core.code_coverage (id, project_id, test_suite_id, commit_sha, line_coverage, branch_coverage,
                                function_coverage, statement_coverage)
VALUES ('de000000-0000-4000-8000-0000000000cd', 'de000000-0000-4000-8000-000000000021', 'de000000-0000-4000-8000-0000000000c9',
        '3f2a9c1', 71.50, 58.25, 80.00, 72.10);

INSERT INTO core.knowledge_entries (id, organization_id, project_id, source_task_id, entry_type, title, summary, content,
                                    tags, created_by_agent_id, confidence_score, visibility)
VALUES ('de000000-0000-4000-8000-0000000000ce', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000021',
        'de000000-0000-4000-8000-000000000071', 'adr', 'Use JWT access tokens',
        'Short-lived JWT access tokens with refresh tokens stored server-side',
        'Decision: access tokens are JWTs valid 15 minutes; refresh tokens live in core.user_sessions.',
        '{auth,security}', 'de000000-0000-4000-8000-000000000039', 0.90, 'public');

INSERT INTO config.system_prompts (id, agent_type, task_type, prompt_name, prompt_content, file_path, checksum)
SELECT 'de000000-0000-4000-8000-0000000000cf', 'team_leader', NULL, 'team-leader-default', p.content,
       'prompts/team_leader/default.md', encode(sha256(convert_to(p.content, 'UTF8')), 'hex')
  FROM (SELECT 'You are the team leader. Break work into tasks, assign them to the right agents, and track them.'::text
               AS content) p;
INSERT INTO config.user_configuration (id, user_id, config_key, config_value)
VALUES ('de000000-0000-4000-8000-0000000000d1', 'de000000-0000-4000-8000-000000000011', 'ui', '{"theme": "dark"}');
INSERT INTO config.system_configuration (id, config_key, config_type, config_value, description)
VALUES ('de000000-0000-4000-8000-0000000000d2', 'websocket.heartbeat_interval_seconds', 'websocket', '30',
        'Seconds between websocket heartbeats');

-- audit rows are immutable: a re-seed after --reset keeps the old ones (ON CONFLICT DO NOTHING)
INSERT INTO audit.task_execution_audit (id, created_at, organization_id, project_id, task_id, agent_id,
                                        created_by_agent_id, execution_phase, phase_status, duration_ms) VALUES
    ('de000000-0000-4000-8000-0000000000d3', now() - interval '41 hours', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000021',
     'de000000-0000-4000-8000-000000000072', 'de000000-0000-4000-8000-000000000032', 'de000000-0000-4000-8000-000000000031', 'research', 'completed', 60000),
    ('de000000-0000-4000-8000-0000000000d4', now() - interval '39 hours', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000021',
     'de000000-0000-4000-8000-000000000072', 'de000000-0000-4000-8000-000000000032', 'de000000-0000-4000-8000-000000000031', 'synthesis', 'completed', 35000)
ON CONFLICT (id) DO NOTHING;
INSERT INTO audit.security_events (id, created_at, organization_id, user_id, event_type, severity, description, source_ip)
VALUES ('de000000-0000-4000-8000-0000000000d5', now() - interval '6 hours', 'de000000-0000-4000-8000-000000000001',
        'de000000-0000-4000-8000-000000000013', 'auth.login_failed', 'low', 'Failed login: wrong password', '203.0.113.7')
ON CONFLICT (id) DO NOTHING;

INSERT INTO metrics.performance_metrics (id, created_at, organization_id, agent_id, metric_type, metric_name, metric_value, metric_unit, tags) VALUES
    ('de000000-0000-4000-8000-0000000000e1', now() - interval '30 minutes', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000032', 'latency', 'research.response_time', 1840, 'ms', '{"model": "demo"}'),
    ('de000000-0000-4000-8000-0000000000e2', now() - interval '30 minutes', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000034', 'throughput', 'frontend.components_per_hour', 3, 'count', '{}'),
    ('de000000-0000-4000-8000-0000000000e3', now() - interval '30 minutes', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000033', 'errors', 'analyzer.mcp_timeouts', 1, 'count', '{"server": "serena"}');
INSERT INTO metrics.usage_metrics (id, created_at, organization_id, user_id, agent_id, agent_type, task_type, metric_type, metric_value) VALUES
    ('de000000-0000-4000-8000-0000000000e4', now() - interval '2 hours', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000011', 'de000000-0000-4000-8000-000000000031', 'team_leader', 'general', 'tasks_created', 8),
    ('de000000-0000-4000-8000-0000000000e5', now() - interval '2 hours', 'de000000-0000-4000-8000-000000000001', NULL, 'de000000-0000-4000-8000-000000000032', 'research', 'market_analysis', 'tasks_completed', 2),
    ('de000000-0000-4000-8000-0000000000e6', now() - interval '1 hour', 'de000000-0000-4000-8000-000000000001', 'de000000-0000-4000-8000-000000000012', NULL, NULL, NULL, 'api_calls', 143),
    ('de000000-0000-4000-8000-0000000000e7', now() - interval '1 hour', 'de000000-0000-4000-8000-000000000001', NULL, 'de000000-0000-4000-8000-000000000032', 'research', NULL, 'mcp_calls', 9);
INSERT INTO metrics.system_health_metrics (id, created_at, component_name, health_status, response_time_ms, error_rate, uptime_percentage) VALUES
    ('de000000-0000-4000-8000-0000000000e8', now() - interval '5 minutes', 'mcp.perplexity', 'healthy', 220, 0.0000, 99.9500),
    ('de000000-0000-4000-8000-0000000000e9', now() - interval '5 minutes', 'mcp.serena', 'degraded', 4100, 0.0800, 97.2000);

REFRESH MATERIALIZED VIEW metrics.agent_performance_daily;
REFRESH MATERIALIZED VIEW metrics.project_task_stats;
