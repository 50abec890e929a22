-- Rollback of 0016 tenant_membership_checks: the policies, functions and view of 0013 and 0014 as they were.

DROP POLICY tenant_isolation ON core.organizations;
CREATE POLICY tenant_isolation ON core.organizations TO app_user, app_readonly
    USING (id = (SELECT core.current_org_id())) WITH CHECK (id = (SELECT core.current_org_id()));
DROP POLICY tenant_isolation ON core.organization_members;
CREATE POLICY tenant_isolation ON core.organization_members TO app_user, app_readonly
    USING (organization_id = (SELECT core.current_org_id()))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));
DROP POLICY tenant_isolation ON core.agents;
CREATE POLICY tenant_isolation ON core.agents TO app_user, app_readonly
    USING (organization_id = (SELECT core.current_org_id()))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));
DROP POLICY tenant_isolation ON core.agent_messages;
CREATE POLICY tenant_isolation ON core.agent_messages TO app_user, app_readonly
    USING (organization_id = (SELECT core.current_org_id()))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));
DROP POLICY tenant_isolation ON core.projects;
CREATE POLICY tenant_isolation ON core.projects TO app_user, app_readonly
    USING (id = ANY ((SELECT core.accessible_project_ids())::uuid[])
           OR (organization_id = (SELECT core.current_org_id()) AND created_by = (SELECT core.current_user_id())))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));
DROP POLICY tenant_isolation ON core.knowledge_entries;
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
DROP POLICY own_keys ON core.api_keys;
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
DROP POLICY app_read ON audit.audit_logs;
CREATE POLICY app_read ON audit.audit_logs FOR SELECT TO app_user
    USING (organization_id = (SELECT core.current_org_id()));
DROP POLICY app_append ON audit.audit_logs;
CREATE POLICY app_append ON audit.audit_logs FOR INSERT TO app_user
    WITH CHECK (organization_id IS NULL OR organization_id = (SELECT core.current_org_id()));
DROP POLICY app_read ON audit.security_events;
CREATE POLICY app_read ON audit.security_events FOR SELECT TO app_user
    USING (organization_id = (SELECT core.current_org_id()));
DROP POLICY app_append ON audit.security_events;
CREATE POLICY app_append ON audit.security_events FOR INSERT TO app_user
    WITH CHECK (organization_id IS NULL OR organization_id = (SELECT core.current_org_id()));
DROP POLICY app_resolve ON audit.security_events;
CREATE POLICY app_resolve ON audit.security_events FOR UPDATE TO app_user
    USING (organization_id = (SELECT core.current_org_id()))
    WITH CHECK (organization_id = (SELECT core.current_org_id()));
DROP POLICY app_read ON audit.task_execution_audit;
CREATE POLICY app_read ON audit.task_execution_audit FOR SELECT TO app_user
    USING (organization_id = (SELECT core.current_org_id()));
DROP POLICY app_append ON audit.task_execution_audit;
CREATE POLICY app_append ON audit.task_execution_audit FOR INSERT TO app_user
    WITH CHECK (organization_id = (SELECT core.current_org_id()));

CREATE OR REPLACE FUNCTION core.visible_user_ids() RETURNS uuid[]
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
CREATE OR REPLACE FUNCTION core.user_organizations(p_user_id uuid)
RETURNS TABLE (organization_id uuid, slug text, name text, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- after authentication: the organizations the user may act in (to choose app.current_org_id)
    SELECT o.id, o.slug, o.name, om.role
      FROM core.organization_members om JOIN core.organizations o ON o.id = om.organization_id
     WHERE om.user_id = p_user_id AND o.deleted_at IS NULL
$$;

CREATE OR REPLACE VIEW core.agent_performance_daily_scoped WITH (security_barrier = true) AS
SELECT * FROM metrics.agent_performance_daily WHERE organization_id = (SELECT core.current_org_id());

DROP FUNCTION core.current_org_role();
DROP FUNCTION core.tenant_org_id();
