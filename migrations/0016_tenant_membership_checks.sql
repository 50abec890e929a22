-- 0016 tenant_membership_checks: row-level security that holds against a tenant who names another organization.
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction. Fixes forward 0013/0014.
--
-- Before: the policies trusted app.current_org_id. A member of organization B who set it to A's id read A's
-- organization row, members, agents and messages. Now every organization-keyed policy compares with
-- core.tenant_org_id(): the current organization only when the current user is a member of it (or, for an agent
-- runtime with no user, when the current agent is an active agent of it), else NULL, which matches nothing.
-- app.current_user_id stays what the application vouches for (it authenticated the user); the organization is
-- checked against it.

CREATE FUNCTION core.tenant_org_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT o.id
      FROM core.organizations o
     WHERE o.id = core.current_org_id()
       AND o.deleted_at IS NULL
       AND CASE
             WHEN core.current_user_id() IS NOT NULL THEN
                  EXISTS (SELECT 1 FROM core.organization_members om JOIN core.users u ON u.id = om.user_id
                           WHERE om.organization_id = o.id AND om.user_id = core.current_user_id()
                             AND u.deleted_at IS NULL)
             WHEN core.current_agent_id() IS NOT NULL THEN
                  EXISTS (SELECT 1 FROM core.agents a
                           WHERE a.id = core.current_agent_id() AND a.organization_id = o.id
                             AND a.deactivated_at IS NULL)
             ELSE false
           END
$$;
COMMENT ON FUNCTION core.tenant_org_id() IS
    'app.current_org_id when the current user is a member of it (or the current agent one of its agents), else NULL';

CREATE FUNCTION core.current_org_role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT om.role FROM core.organization_members om
     WHERE om.organization_id = core.tenant_org_id() AND om.user_id = core.current_user_id()
$$;
COMMENT ON FUNCTION core.current_org_role() IS
    'The current user''s role (owner, admin, member, viewer) in the current organization, NULL when not a member';

REVOKE ALL ON FUNCTION core.tenant_org_id(), core.current_org_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.tenant_org_id(), core.current_org_role() TO app_user, app_readonly;

-- organization-keyed policies: ORG(c) becomes c = (SELECT core.tenant_org_id())
DROP POLICY tenant_isolation ON core.organizations;
CREATE POLICY tenant_isolation ON core.organizations TO app_user, app_readonly
    USING (id = (SELECT core.tenant_org_id())) WITH CHECK (id = (SELECT core.tenant_org_id()));

DROP POLICY tenant_isolation ON core.organization_members;
CREATE POLICY tenant_isolation ON core.organization_members TO app_user, app_readonly
    USING (organization_id = (SELECT core.tenant_org_id()))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id()));

DROP POLICY tenant_isolation ON core.agents;
CREATE POLICY tenant_isolation ON core.agents TO app_user, app_readonly
    USING (organization_id = (SELECT core.tenant_org_id()))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id()));

DROP POLICY tenant_isolation ON core.agent_messages;
CREATE POLICY tenant_isolation ON core.agent_messages TO app_user, app_readonly
    USING (organization_id = (SELECT core.tenant_org_id()))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id()));

-- projects: a creator sees the project in the statement that inserts it, but only in an organization they belong to
DROP POLICY tenant_isolation ON core.projects;
CREATE POLICY tenant_isolation ON core.projects TO app_user, app_readonly
    USING (id = ANY ((SELECT core.accessible_project_ids())::uuid[])
           OR (organization_id = (SELECT core.tenant_org_id()) AND created_by = (SELECT core.current_user_id())))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id()));

DROP POLICY tenant_isolation ON core.knowledge_entries;
CREATE POLICY tenant_isolation ON core.knowledge_entries TO app_user, app_readonly
    USING (organization_id = (SELECT core.tenant_org_id())
           AND (visibility = 'public'
                OR (visibility = 'team' AND project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
                OR (visibility = 'private'
                    AND (created_by = (SELECT core.current_user_id())
                         OR created_by_agent_id = (SELECT core.current_agent_id())
                         OR (SELECT core.current_user_id()) = ANY (access_list)
                         OR (SELECT core.current_agent_id()) = ANY (access_list)))))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id()));

DROP POLICY own_keys ON core.api_keys;
CREATE POLICY own_keys ON core.api_keys TO app_user
    USING (organization_id = (SELECT core.tenant_org_id())
           AND (user_id = (SELECT core.current_user_id())
                OR (user_id IS NULL AND (SELECT core.current_org_role()) IN ('owner', 'admin'))))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id())
                AND (user_id = (SELECT core.current_user_id())
                     OR (user_id IS NULL AND (SELECT core.current_org_role()) IN ('owner', 'admin'))));

DROP POLICY app_read ON audit.audit_logs;
CREATE POLICY app_read ON audit.audit_logs FOR SELECT TO app_user
    USING (organization_id = (SELECT core.tenant_org_id()));
DROP POLICY app_append ON audit.audit_logs;
CREATE POLICY app_append ON audit.audit_logs FOR INSERT TO app_user
    WITH CHECK (organization_id IS NULL OR organization_id = (SELECT core.tenant_org_id()));

DROP POLICY app_read ON audit.security_events;
CREATE POLICY app_read ON audit.security_events FOR SELECT TO app_user
    USING (organization_id = (SELECT core.tenant_org_id()));
DROP POLICY app_append ON audit.security_events;
CREATE POLICY app_append ON audit.security_events FOR INSERT TO app_user
    WITH CHECK (organization_id IS NULL OR organization_id = (SELECT core.tenant_org_id()));
DROP POLICY app_resolve ON audit.security_events;
CREATE POLICY app_resolve ON audit.security_events FOR UPDATE TO app_user
    USING (organization_id = (SELECT core.tenant_org_id()))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id()));

DROP POLICY app_read ON audit.task_execution_audit;
CREATE POLICY app_read ON audit.task_execution_audit FOR SELECT TO app_user
    USING (organization_id = (SELECT core.tenant_org_id()));
DROP POLICY app_append ON audit.task_execution_audit;
CREATE POLICY app_append ON audit.task_execution_audit FOR INSERT TO app_user
    WITH CHECK (organization_id = (SELECT core.tenant_org_id()));

-- the users an agent runtime sees: the members of its own organization only
CREATE OR REPLACE FUNCTION core.visible_user_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- the acting user, and the users who share an organization with them; in agent context (no user),
    -- the members of the agent's organization
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
               AND om.organization_id = core.tenant_org_id()) x
$$;

-- the organizations of the current user only (it answered for any user id before)
CREATE OR REPLACE FUNCTION core.user_organizations(p_user_id uuid)
RETURNS TABLE (organization_id uuid, slug text, name text, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- after authentication: the organizations the user may act in (to choose app.current_org_id); only the
    -- current user's own (app.current_user_id): asking for someone else's answers nothing
    SELECT o.id, o.slug, o.name, om.role
      FROM core.organization_members om JOIN core.organizations o ON o.id = om.organization_id
     WHERE om.user_id = p_user_id AND p_user_id = core.current_user_id() AND o.deleted_at IS NULL
$$;

-- the daily performance of the caller's organization only when the caller belongs to it
CREATE OR REPLACE VIEW core.agent_performance_daily_scoped WITH (security_barrier = true) AS
SELECT * FROM metrics.agent_performance_daily WHERE organization_id = (SELECT core.tenant_org_id());
