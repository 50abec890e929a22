-- Realistic volume for the query benchmarks, generated set-based (no row-by-row inserts). Tenant-consistent: a
-- task's agent, a message's two agents and an audit row belong to the organization of the project or sender.
-- Sizes come from session settings: bench.orgs, bench.projects, bench.agents, bench.tasks, bench.messages,
-- bench.audit. Triggers (audit, updated_at) and FK checks are off for the load (session_replication_role).
SET session_replication_role = replica;
SELECT core.ensure_monthly_partitions(t::regclass, 3, 6)
  FROM unnest(ARRAY['audit.audit_logs', 'core.agent_outputs', 'core.agent_messages', 'core.test_results',
                    'metrics.performance_metrics', 'metrics.usage_metrics', 'metrics.system_health_metrics']) t;

INSERT INTO core.organizations (id, slug, name)
SELECT ('b0000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'bench-org-' || g, 'Bench org ' || g
  FROM generate_series(1, current_setting('bench.orgs')::int) g;

INSERT INTO core.users (id, email, name)
SELECT ('b1000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'user' || g || '@bench.example.com', 'User ' || g
  FROM generate_series(1, current_setting('bench.orgs')::int * 10) g;

INSERT INTO core.organization_members (organization_id, user_id, role)
SELECT ('b0000000-0000-4000-8000-' || lpad(to_hex((g - 1) / 10 + 1), 12, '0'))::uuid,
       ('b1000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
       CASE WHEN g % 10 = 1 THEN 'owner' ELSE 'member' END
  FROM generate_series(1, current_setting('bench.orgs')::int * 10) g;

INSERT INTO core.projects (id, organization_id, slug, name)
SELECT ('b2000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('b0000000-0000-4000-8000-' || lpad(to_hex((g - 1) % current_setting('bench.orgs')::int + 1), 12, '0'))::uuid,
       'project-' || g, 'Project ' || g
  FROM generate_series(1, current_setting('bench.projects')::int) g;

INSERT INTO core.agents (id, organization_id, handle, name, agent_type, status, capabilities, last_heartbeat_at)
SELECT ('b3000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('b0000000-0000-4000-8000-' || lpad(to_hex((g - 1) % current_setting('bench.orgs')::int + 1), 12, '0'))::uuid,
       'bench-agent-' || g, 'Agent ' || g,
       (ARRAY['team_leader','research','codebase_analyzer','frontend','backend','codegen','testing',
              'documentation','archon'])[g % 9 + 1],
       (ARRAY['online','online','busy','offline','maintenance'])[g % 5 + 1], '{}', now() - (g % 600) * interval '1 second'
  FROM generate_series(1, current_setting('bench.agents')::int) g;

-- tasks: spread over the projects and agents, six months of history; ~10% pending, ~5% active
INSERT INTO core.tasks (id, project_id, organization_id, title, task_type, agent_type, status, priority,
                        assigned_agent_id, started_at, completed_at, created_at, updated_at)
SELECT ('b4000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('b2000000-0000-4000-8000-' || lpad(to_hex(g % current_setting('bench.projects')::int + 1), 12, '0'))::uuid,
       ('b0000000-0000-4000-8000-' || lpad(to_hex(   -- the project's organization (triggers are off for the load)
            (g % current_setting('bench.projects')::int) % current_setting('bench.orgs')::int + 1), 12, '0'))::uuid,
       'Task ' || g, 'general',
       (ARRAY['team_leader','research','codebase_analyzer','frontend','backend','codegen','testing',
              'documentation','archon'])[g % 9 + 1],
       s.status, 1 + abs(hashtext(g::text || 'p')) % 10,  -- priority independent of the organization
       CASE WHEN s.status = 'pending' THEN NULL  -- an agent of the project's organization, by hash, so that no
            ELSE ('b3000000-0000-4000-8000-' || lpad(to_hex(   -- agent owns one status class
                      abs(hashtext(g::text)) % (current_setting('bench.agents')::int / current_setting('bench.orgs')::int)
                        * current_setting('bench.orgs')::int
                      + (g % current_setting('bench.projects')::int) % current_setting('bench.orgs')::int + 1),
                  12, '0'))::uuid END,
       CASE WHEN s.status IN ('in_progress', 'completed', 'failed') THEN c.t + interval '1 minute' END,
       CASE WHEN s.status IN ('completed', 'failed') THEN c.t + interval '20 minutes' END,
       c.t, c.t
  FROM generate_series(1, current_setting('bench.tasks')::int) g
  -- the status class cycles per project (g / projects), so that every project has tasks of every status
  CROSS JOIN LATERAL (SELECT (g / current_setting('bench.projects')::int) % 20 AS k) h
  CROSS JOIN LATERAL (SELECT CASE WHEN h.k = 0 THEN 'pending' WHEN h.k = 1 THEN 'pending'
                                  WHEN h.k = 2 THEN 'assigned' WHEN h.k = 3 THEN 'in_progress'
                                  WHEN h.k = 4 THEN 'failed' WHEN h.k = 5 THEN 'cancelled'
                                  ELSE 'completed' END AS status) s
  CROSS JOIN LATERAL (SELECT now() - (g % 180) * interval '1 day' - (g % 1440) * interval '1 minute' AS t) c;

INSERT INTO core.task_results (task_id, agent_id, status, content, confidence_score, execution_time_ms, tokens_used,
                               created_at)
SELECT t.id, t.assigned_agent_id, CASE t.status WHEN 'failed' THEN 'failed' ELSE 'completed' END, 'result',
       0.5 + (hashtext(t.id::text) & 255) / 512.0, 1000 + (hashtext(t.id::text) & 65535), 500, t.completed_at
  FROM core.tasks t
 WHERE t.status IN ('completed', 'failed') AND t.id::text LIKE 'b4%';

-- messages: between agents of the same organization, 1% still unprocessed
INSERT INTO core.agent_messages (created_at, organization_id, message_id, sender_type, sender_agent_id, recipient_type,
                                 recipient_agent_id, message_type, payload, delivered_at, processed_at)
SELECT c.t, a.organization_id, 'bench-' || g, 'agent', a.id, 'agent',
       ('b3000000-0000-4000-8000-' || lpad(to_hex(   -- an agent of the sender's organization
            (g * 7) % (current_setting('bench.agents')::int / current_setting('bench.orgs')::int)
              * current_setting('bench.orgs')::int
            + (g % current_setting('bench.agents')::int) % current_setting('bench.orgs')::int + 1), 12, '0'))::uuid,
       'task.update', '{}', c.t, CASE WHEN g % 100 = 0 THEN NULL ELSE c.t + interval '1 second' END
  FROM generate_series(1, current_setting('bench.messages')::int) g
  CROSS JOIN LATERAL (SELECT now() - (g % 180) * interval '1 day' - (g % 86400) * interval '1 second' AS t) c
  JOIN core.agents a ON a.id = ('b3000000-0000-4000-8000-' || lpad(to_hex(g % current_setting('bench.agents')::int + 1), 12, '0'))::uuid;

-- audit rows over six months, for the tasks
INSERT INTO audit.audit_logs (created_at, organization_id, event_type, action, resource_type, resource_id, new_values)
SELECT now() - (g % 180) * interval '1 day' - (g % 86400) * interval '1 second',
       ('b0000000-0000-4000-8000-' || lpad(to_hex(   -- the organization of the task's project
            ((g % current_setting('bench.tasks')::int + 1) % current_setting('bench.projects')::int)
              % current_setting('bench.orgs')::int + 1), 12, '0'))::uuid,
       'data_change', (ARRAY['insert','update','update','delete'])[g % 4 + 1], 'core.tasks',
       ('b4000000-0000-4000-8000-' || lpad(to_hex(g % current_setting('bench.tasks')::int + 1), 12, '0')),
       '{"status": "in_progress"}'
  FROM generate_series(1, current_setting('bench.audit')::int) g;
SET session_replication_role = origin;
