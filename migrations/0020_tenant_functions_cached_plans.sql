-- 0020 tenant_functions_cached_plans: the functions the policies call keep their plans for the session.
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction. Fixes forward 0013, 0016
-- and 0017.
--
-- Before: the membership functions were SQL functions. SECURITY DEFINER and SET search_path keep a SQL function
-- from being inlined, and PostgreSQL 15 then parses and plans its body on every call: each query under RLS paid
-- 0.3 to 0.7 ms for core.tenant_org_id() and core.accessible_project_ids() before reading a row (bench_tenant_queries:
-- an agent's next task 0.29 ms as the owner, 0.97 ms under RLS). Now they are PL/pgSQL functions with the same
-- queries: PL/pgSQL plans each query once per session and keeps the plan (no parameters, so one generic plan; the
-- settings are read when it runs, never folded into the plan). One result changes: core.accessible_project_ids()
-- now refuses a soft-deleted user or organization, as core.tenant_org_id() does (a deleted user still saw the
-- plans, workflows and members of their projects). The application's pool keeps
-- these plans across borrowers (schemadb.app resets a returned connection without DISCARD PLANS: a cached plan is
-- not state a borrower can see or change).
--
-- New: core.tenant_sees_all_projects(), true when the tenant sees every project of core.tenant_org_id() (an owner
-- or admin of it, or an agent of it bound to no project). It says nothing about which organization: a policy uses
-- it only beside its own organization check (core.tasks, 0030), where it lets the project check be skipped.

CREATE OR REPLACE FUNCTION core.tenant_org_id() RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT o.id
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
                   END);
END
$$;

CREATE OR REPLACE FUNCTION core.current_org_role() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT om.role FROM core.organization_members om
             WHERE om.organization_id = core.tenant_org_id() AND om.user_id = core.current_user_id());
END
$$;

CREATE OR REPLACE FUNCTION core.accessible_project_ids() RETURNS uuid[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(p.id), '{}')
              FROM core.projects p
             WHERE p.organization_id = core.current_org_id()
               AND EXISTS (SELECT 1 FROM core.organizations o             -- not a deleted organization
                            WHERE o.id = p.organization_id AND o.deleted_at IS NULL)
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
                                     AND EXISTS (SELECT 1 FROM core.users u    -- not a deleted user
                                                  WHERE u.id = om.user_id AND u.deleted_at IS NULL)
                                     AND (om.role IN ('owner', 'admin')        -- org owner/admin (S2)
                                          OR p.created_by = om.user_id         -- the project's creator (S4)
                                          OR EXISTS (SELECT 1 FROM core.project_members pm   -- a project member
                                                      WHERE pm.project_id = p.id AND pm.user_id = om.user_id)))
                   END);
END
$$;

CREATE OR REPLACE FUNCTION core.project_role(p_project_id uuid) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT pm.role FROM core.project_members pm JOIN core.projects p ON p.id = pm.project_id
             WHERE pm.project_id = p_project_id AND pm.user_id = core.current_user_id()
               AND p.organization_id = core.tenant_org_id());
END
$$;

CREATE OR REPLACE FUNCTION core.org_owner_count(p_org_id uuid) RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT count(*)::integer FROM core.organization_members
             WHERE organization_id = p_org_id AND role = 'owner' AND p_org_id = core.tenant_org_id());
END
$$;

CREATE OR REPLACE FUNCTION core.visible_user_ids() RETURNS uuid[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- the acting user, and the users who share an organization with them; in agent context (no user),
    -- the members of the agent's organization
    RETURN (SELECT coalesce(array_agg(DISTINCT x.user_id), '{}')
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
                       AND om.organization_id = core.tenant_org_id()) x);
END
$$;

CREATE FUNCTION core.tenant_sees_all_projects() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- the checks of core.tenant_org_id() in one query, narrowed to who sees every project
    RETURN EXISTS (
        SELECT 1
          FROM core.organizations o
         WHERE o.id = core.current_org_id()
           AND o.deleted_at IS NULL
           AND CASE
                 WHEN core.current_user_id() IS NOT NULL THEN
                      EXISTS (SELECT 1 FROM core.organization_members om JOIN core.users u ON u.id = om.user_id
                               WHERE om.organization_id = o.id AND om.user_id = core.current_user_id()
                                 AND om.role IN ('owner', 'admin') AND u.deleted_at IS NULL)
                 WHEN core.current_agent_id() IS NOT NULL THEN
                      EXISTS (SELECT 1 FROM core.agents a
                               WHERE a.id = core.current_agent_id() AND a.organization_id = o.id
                                 AND a.deactivated_at IS NULL AND a.project_id IS NULL)
                 ELSE false
               END);
END
$$;
COMMENT ON FUNCTION core.tenant_sees_all_projects() IS
    'True when the tenant sees every project of core.tenant_org_id(): meaningful only beside an organization check';
REVOKE ALL ON FUNCTION core.tenant_sees_all_projects() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.tenant_sees_all_projects() TO app_user, app_readonly;
