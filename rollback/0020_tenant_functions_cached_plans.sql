-- Rollback of 0020 tenant_functions_cached_plans: the SQL functions of 0013, 0016 and 0017 as they were.

DROP FUNCTION core.tenant_sees_all_projects();

CREATE OR REPLACE FUNCTION core.tenant_org_id() RETURNS uuid
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

CREATE OR REPLACE FUNCTION core.current_org_role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT om.role FROM core.organization_members om
     WHERE om.organization_id = core.tenant_org_id() AND om.user_id = core.current_user_id()
$$;

CREATE OR REPLACE FUNCTION core.accessible_project_ids() RETURNS uuid[]
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

CREATE OR REPLACE FUNCTION core.project_role(p_project_id uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT pm.role FROM core.project_members pm JOIN core.projects p ON p.id = pm.project_id
     WHERE pm.project_id = p_project_id AND pm.user_id = core.current_user_id()
       AND p.organization_id = core.tenant_org_id()
$$;

CREATE OR REPLACE FUNCTION core.org_owner_count(p_org_id uuid) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(*)::integer FROM core.organization_members
     WHERE organization_id = p_org_id AND role = 'owner' AND p_org_id = core.tenant_org_id()
$$;

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
