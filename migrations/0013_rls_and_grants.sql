-- 0013 rls_and_grants: grants, project visibility and row-level security, including the identity tables (map §6.2, §6.3, §10.8).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'core' AND c.relkind IN ('r', 'p') AND NOT c.relispartition LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO app_user', t);
        EXECUTE format('GRANT SELECT ON %s TO app_readonly', t);
    END LOOP;
    FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'config' AND c.relkind IN ('r', 'p') AND NOT c.relispartition LOOP
        EXECUTE format('GRANT SELECT ON %s TO app_user, app_readonly', t);
    END LOOP;
    FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'audit' AND c.relkind IN ('r', 'p') AND NOT c.relispartition LOOP
        EXECUTE format('GRANT SELECT ON %s TO audit_reader', t);
    END LOOP;
    FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'metrics' AND c.relkind IN ('r', 'p') AND NOT c.relispartition LOOP
        EXECUTE format('GRANT INSERT ON %s TO app_user', t);
        EXECUTE format('GRANT SELECT ON %s TO metrics_reader', t);
    END LOOP;
END $$;
-- credentials are not for read-only paths
REVOKE SELECT ON core.users, core.user_sessions, core.api_keys FROM app_readonly;
GRANT SELECT (id, email, name, avatar_url, role, auth_provider, github_id, mfa_enabled,
              last_login_at, created_at, updated_at, deleted_at) ON core.users TO app_readonly;
GRANT INSERT, UPDATE, DELETE ON config.user_configuration TO app_user;
GRANT SELECT, INSERT ON audit.audit_logs, audit.security_events, audit.task_execution_audit TO app_user;
GRANT UPDATE (resolved_at, resolved_by, resolution_notes) ON audit.security_events TO app_user;
GRANT SELECT ON archive.audit_logs, archive.task_execution_audit TO audit_reader;
GRANT SELECT ON archive.usage_metrics TO metrics_reader;
GRANT EXECUTE ON FUNCTION core.encrypt_sensitive(text), core.decrypt_sensitive(bytea) TO app_user;

CREATE FUNCTION core.accessible_project_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(array_agg(p.id), '{}')
      FROM core.projects p
     WHERE p.organization_id = core.current_org_id()
       AND CASE
             WHEN core.current_user_id() IS NULL THEN          -- agent runtime: an agent of this org,
                  EXISTS (SELECT 1 FROM core.agents a           -- optionally bound to one project (S2)
                           WHERE a.id = core.current_agent_id()
                             AND a.organization_id = p.organization_id
                             AND a.deactivated_at IS NULL
                             AND (a.project_id IS NULL OR a.project_id = p.id))
             ELSE EXISTS (SELECT 1 FROM core.organization_members om   -- a member of the org who is
                           WHERE om.organization_id = p.organization_id
                             AND om.user_id = core.current_user_id()
                             AND (om.role IN ('owner', 'admin')        -- org owner/admin (S2)
                                  OR p.created_by = om.user_id         -- the project's creator (S4)
                                  OR EXISTS (SELECT 1 FROM core.project_members pm   -- a project member (S2)
                                              WHERE pm.project_id = p.id AND pm.user_id = om.user_id)))
           END
$$;
REVOKE ALL ON FUNCTION core.accessible_project_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.accessible_project_ids() TO app_user, app_readonly;

ALTER TABLE core.organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.organizations TO app_user, app_readonly
    USING (id = (SELECT core.current_org_id())) WITH CHECK (id = (SELECT core.current_org_id()));

ALTER TABLE core.organization_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.organization_members TO app_user, app_readonly
    USING (organization_id = (SELECT core.current_org_id()))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));

ALTER TABLE core.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.projects TO app_user, app_readonly
    USING (id = ANY ((SELECT core.accessible_project_ids())::uuid[])
           OR (organization_id = (SELECT core.current_org_id()) AND created_by = (SELECT core.current_user_id())))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));
-- the second USING branch lets a creator see a project in the statement that inserts it (INSERT … RETURNING)

ALTER TABLE core.project_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.project_members TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));

ALTER TABLE core.agents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.agents TO app_user, app_readonly
    USING (organization_id = (SELECT core.current_org_id()))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));

ALTER TABLE core.agent_status_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.agent_status_history TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.agents a WHERE a.id = agent_status_history.agent_id))
    WITH CHECK (EXISTS (SELECT 1 FROM core.agents a WHERE a.id = agent_status_history.agent_id));

ALTER TABLE core.agent_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.agent_sessions TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.agents a WHERE a.id = agent_sessions.agent_id))
    WITH CHECK (EXISTS (SELECT 1 FROM core.agents a WHERE a.id = agent_sessions.agent_id));

ALTER TABLE core.context_vectors ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.context_vectors TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.agent_sessions s WHERE s.id = context_vectors.session_id))
    WITH CHECK (EXISTS (SELECT 1 FROM core.agent_sessions s WHERE s.id = context_vectors.session_id));

ALTER TABLE core.agent_outputs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.agent_outputs TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.agents a WHERE a.id = agent_outputs.agent_id))
    WITH CHECK (EXISTS (SELECT 1 FROM core.agents a WHERE a.id = agent_outputs.agent_id));

ALTER TABLE core.agent_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.agent_messages TO app_user, app_readonly
    USING (organization_id = (SELECT core.current_org_id()))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));

ALTER TABLE core.message_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.message_queue TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.agent_messages m
                   WHERE m.id = message_queue.message_id AND m.created_at = message_queue.message_created_at))
    WITH CHECK (EXISTS (SELECT 1 FROM core.agent_messages m
                   WHERE m.id = message_queue.message_id AND m.created_at = message_queue.message_created_at));

-- project-scoped tables: PROJ(project_id)
ALTER TABLE core.plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.plans TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));
ALTER TABLE core.workflows ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.workflows TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));
ALTER TABLE core.workflow_executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.workflow_executions TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));
ALTER TABLE core.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.tasks TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));
ALTER TABLE core.task_dependencies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.task_dependencies TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));
ALTER TABLE core.github_repositories ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.github_repositories TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));
ALTER TABLE core.test_suites ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.test_suites TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));
ALTER TABLE core.code_coverage ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.code_coverage TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));

-- children visible through their parent
ALTER TABLE core.task_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.task_results TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.tasks t WHERE t.id = task_results.task_id))
    WITH CHECK (EXISTS (SELECT 1 FROM core.tasks t WHERE t.id = task_results.task_id));
ALTER TABLE core.task_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.task_messages TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.tasks t WHERE t.id = task_messages.task_id))
    WITH CHECK (EXISTS (SELECT 1 FROM core.tasks t WHERE t.id = task_messages.task_id));
ALTER TABLE core.github_issues ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.github_issues TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.github_repositories r WHERE r.id = github_issues.repository_id))
    WITH CHECK (EXISTS (SELECT 1 FROM core.github_repositories r WHERE r.id = github_issues.repository_id));
ALTER TABLE core.github_pull_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.github_pull_requests TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.github_repositories r WHERE r.id = github_pull_requests.repository_id))
    WITH CHECK (EXISTS (SELECT 1 FROM core.github_repositories r WHERE r.id = github_pull_requests.repository_id));
ALTER TABLE core.test_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.test_results TO app_user, app_readonly
    USING (EXISTS (SELECT 1 FROM core.test_suites s WHERE s.id = test_results.test_suite_id))
    WITH CHECK (EXISTS (SELECT 1 FROM core.test_suites s WHERE s.id = test_results.test_suite_id));

-- knowledge: org isolation + S3 visibility
ALTER TABLE core.knowledge_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core.knowledge_entries TO app_user, app_readonly
    USING (organization_id = (SELECT core.current_org_id())
           AND (visibility = 'public'
                OR (visibility = 'team' AND project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
                OR (visibility = 'private'
                    AND (created_by = (SELECT core.current_user_id())
                         OR created_by_agent_id = (SELECT core.current_agent_id())
                         OR (SELECT core.current_user_id()) = ANY (access_list)
                         OR (SELECT core.current_agent_id()) = ANY (access_list)))))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));

-- per-user preferences
ALTER TABLE config.user_configuration ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON config.user_configuration TO app_user, app_readonly
    USING (user_id = (SELECT core.current_user_id())) WITH CHECK (user_id = (SELECT core.current_user_id()));

-- audit: the app reads its organization's rows and appends; readers see everything
ALTER TABLE audit.audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY app_read ON audit.audit_logs FOR SELECT TO app_user
    USING (organization_id = (SELECT core.current_org_id()));
CREATE POLICY app_append ON audit.audit_logs FOR INSERT TO app_user
    WITH CHECK (organization_id IS NULL OR organization_id = (SELECT core.current_org_id()));
CREATE POLICY reader_all ON audit.audit_logs FOR SELECT TO audit_reader USING (true);

ALTER TABLE audit.security_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY app_read ON audit.security_events FOR SELECT TO app_user
    USING (organization_id = (SELECT core.current_org_id()));
CREATE POLICY app_append ON audit.security_events FOR INSERT TO app_user
    WITH CHECK (organization_id IS NULL OR organization_id = (SELECT core.current_org_id()));
CREATE POLICY app_resolve ON audit.security_events FOR UPDATE TO app_user
    USING (organization_id = (SELECT core.current_org_id()))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));
CREATE POLICY reader_all ON audit.security_events FOR SELECT TO audit_reader USING (true);

ALTER TABLE audit.task_execution_audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY app_read ON audit.task_execution_audit FOR SELECT TO app_user
    USING (organization_id = (SELECT core.current_org_id()));
CREATE POLICY app_append ON audit.task_execution_audit FOR INSERT TO app_user
    WITH CHECK (organization_id = (SELECT core.current_org_id()));
CREATE POLICY reader_all ON audit.task_execution_audit FOR SELECT TO audit_reader USING (true);

-- Map §10.8 (changes §6.3's "identity tables without RLS"): users, user_sessions and api_keys get RLS too.
-- Authentication happens before a tenant context exists, so it goes through SECURITY DEFINER lookup
-- functions that return only what authentication needs. Credentials (password_hash, mfa_secret_encrypted)
-- are excluded from both app roles by column grants.
CREATE FUNCTION core.visible_user_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- the acting user, and the users who share an organization with them; in agent context (no user),
    -- the members of the current organization
    SELECT coalesce(array_agg(DISTINCT x.user_id), '{}')
      FROM (SELECT core.current_user_id() AS user_id WHERE core.current_user_id() IS NOT NULL
            UNION ALL
            SELECT other.user_id
              FROM core.organization_members mine
              JOIN core.organization_members other ON other.organization_id = mine.organization_id
             WHERE mine.user_id = core.current_user_id()
            UNION ALL
            SELECT om.user_id
              FROM core.organization_members om
             WHERE core.current_user_id() IS NULL AND core.current_agent_id() IS NOT NULL
               AND om.organization_id = core.current_org_id()) x
$$;
REVOKE ALL ON FUNCTION core.visible_user_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.visible_user_ids() TO app_user, app_readonly;

CREATE FUNCTION core.login_lookup(p_email text)
RETURNS TABLE (user_id uuid, password_hash text, auth_provider text, mfa_enabled boolean,
               mfa_secret_encrypted bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT u.id, u.password_hash, u.auth_provider, u.mfa_enabled, u.mfa_secret_encrypted
      FROM core.users u
     WHERE lower(u.email) = lower(p_email) AND u.deleted_at IS NULL
$$;
CREATE FUNCTION core.session_lookup(p_token_hash text)
RETURNS TABLE (session_id uuid, user_id uuid, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.id, s.user_id, s.expires_at
      FROM core.user_sessions s JOIN core.users u ON u.id = s.user_id
     WHERE s.token_hash = p_token_hash AND s.expires_at > now() AND u.deleted_at IS NULL
$$;
CREATE FUNCTION core.api_key_lookup(p_key_hash text)
RETURNS TABLE (api_key_id uuid, organization_id uuid, user_id uuid, permissions jsonb, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.id, k.organization_id, k.user_id, k.permissions, k.expires_at
      FROM core.api_keys k
     WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
$$;
CREATE FUNCTION core.user_organizations(p_user_id uuid)
RETURNS TABLE (organization_id uuid, slug text, name text, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- after authentication: the organizations the user may act in (to choose app.current_org_id)
    SELECT o.id, o.slug, o.name, om.role
      FROM core.organization_members om JOIN core.organizations o ON o.id = om.organization_id
     WHERE om.user_id = p_user_id AND o.deleted_at IS NULL
$$;
REVOKE ALL ON FUNCTION core.login_lookup(text), core.session_lookup(text), core.api_key_lookup(text),
                       core.user_organizations(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.login_lookup(text), core.session_lookup(text), core.api_key_lookup(text),
                          core.user_organizations(uuid) TO app_user;

ALTER TABLE core.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_users ON core.users FOR SELECT TO app_user, app_readonly
    USING (id = ANY ((SELECT core.visible_user_ids())::uuid[]));
CREATE POLICY sign_up ON core.users FOR INSERT TO app_user WITH CHECK (true);   -- before any session exists
CREATE POLICY own_row ON core.users FOR UPDATE TO app_user
    USING (id = (SELECT core.current_user_id())) WITH CHECK (id = (SELECT core.current_user_id()));
CREATE POLICY own_row_delete ON core.users FOR DELETE TO app_user USING (id = (SELECT core.current_user_id()));

ALTER TABLE core.user_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_sessions ON core.user_sessions TO app_user
    USING (user_id = (SELECT core.current_user_id())) WITH CHECK (user_id = (SELECT core.current_user_id()));

ALTER TABLE core.api_keys ENABLE ROW LEVEL SECURITY;
-- a key is visible to its user; a service key (user_id NULL) to the owners and admins of its organization
CREATE POLICY own_keys ON core.api_keys TO app_user
    USING (organization_id = (SELECT core.current_org_id())
           AND (user_id = (SELECT core.current_user_id())
                OR (user_id IS NULL AND EXISTS (SELECT 1 FROM core.organization_members om
                                                 WHERE om.organization_id = api_keys.organization_id
                                                   AND om.user_id = (SELECT core.current_user_id())
                                                   AND om.role IN ('owner', 'admin')))))
    WITH CHECK (organization_id = (SELECT core.current_org_id())
                AND (user_id = (SELECT core.current_user_id())
                     OR (user_id IS NULL AND EXISTS (SELECT 1 FROM core.organization_members om
                                                      WHERE om.organization_id = api_keys.organization_id
                                                        AND om.user_id = (SELECT core.current_user_id())
                                                        AND om.role IN ('owner', 'admin')))));

-- credentials: no app role reads them (they are written, and read through core.login_lookup)
REVOKE SELECT ON core.users FROM app_user;
GRANT SELECT (id, email, name, avatar_url, role, auth_provider, github_id, mfa_enabled,
              last_login_at, created_at, updated_at, deleted_at) ON core.users TO app_user;
