-- 0017 privilege_columns: the columns that grant power are written only by those with the power to grant it.
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction. Fixes forward 0013.
--
-- Before: a viewer could make herself owner (UPDATE organization_members SET role = 'owner'), any user could make
-- herself a platform admin (UPDATE users SET role = 'admin'), anyone could add members to an organization, and
-- sign-up accepted role = 'admin'. Now:
-- * organization_members: every member reads the rows of their organization; only its owners and admins add,
--   change or remove members, never their own row (a member may leave: delete their own row), only an owner
--   grants or touches the owner role, and the last owner cannot leave;
-- * project_members: written by the organization's owners and admins and the project's admins, never their own row;
-- * users.role (the platform role) is not writable by any application role: only the schema owner (a DBA, with a
--   reviewed statement) makes a platform admin; sign-up creates role 'user' only;
-- * organizations: updated by its owners and admins (not its billing tier), deleted by an owner, created through
--   core.create_organization(), which makes the creator its owner.
-- * mcp_servers (global): the application updates only the health columns.
-- Every change to these rows is written to audit.audit_logs by the audit triggers of 0004.

CREATE FUNCTION core.project_role(p_project_id uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT pm.role FROM core.project_members pm JOIN core.projects p ON p.id = pm.project_id
     WHERE pm.project_id = p_project_id AND pm.user_id = core.current_user_id()
       AND p.organization_id = core.tenant_org_id()
$$;
COMMENT ON FUNCTION core.project_role(uuid) IS 'The current user''s role in a project of the current organization';

CREATE FUNCTION core.org_owner_count(p_org_id uuid) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(*)::integer FROM core.organization_members
     WHERE organization_id = p_org_id AND role = 'owner' AND p_org_id = core.tenant_org_id()
$$;
COMMENT ON FUNCTION core.org_owner_count(uuid) IS 'How many owners the current organization has (0 for any other)';

CREATE FUNCTION core.create_organization(p_slug text, p_name text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_user uuid := core.current_user_id();
    v_org  uuid;
BEGIN
    IF v_user IS NULL OR NOT EXISTS (SELECT 1 FROM core.users WHERE id = v_user AND deleted_at IS NULL) THEN
        RAISE EXCEPTION 'create_organization needs a signed-in user (app.current_user_id)'
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO core.organizations (slug, name) VALUES (p_slug, p_name) RETURNING id INTO v_org;
    INSERT INTO core.organization_members (organization_id, user_id, role) VALUES (v_org, v_user, 'owner');
    RETURN v_org;
END $$;
COMMENT ON FUNCTION core.create_organization(text, text) IS
    'Creates an organization whose owner is the current user (the only way an application role creates one)';

REVOKE ALL ON FUNCTION core.project_role(uuid), core.org_owner_count(uuid), core.create_organization(text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.project_role(uuid), core.org_owner_count(uuid) TO app_user, app_readonly;
GRANT EXECUTE ON FUNCTION core.create_organization(text, text) TO app_user;

-- organizations
DROP POLICY tenant_isolation ON core.organizations;
CREATE POLICY org_read ON core.organizations FOR SELECT TO app_user, app_readonly
    USING (id = (SELECT core.tenant_org_id()));
CREATE POLICY org_update ON core.organizations FOR UPDATE TO app_user
    USING (id = (SELECT core.tenant_org_id()) AND (SELECT core.current_org_role()) IN ('owner', 'admin'))
    WITH CHECK (id = (SELECT core.tenant_org_id()));
CREATE POLICY org_delete ON core.organizations FOR DELETE TO app_user
    USING (id = (SELECT core.tenant_org_id()) AND (SELECT core.current_org_role()) = 'owner');
REVOKE INSERT, UPDATE ON core.organizations FROM app_user;
GRANT UPDATE (slug, name, settings, deleted_at) ON core.organizations TO app_user;

-- organization_members
DROP POLICY tenant_isolation ON core.organization_members;
CREATE POLICY members_read ON core.organization_members FOR SELECT TO app_user, app_readonly
    USING (organization_id = (SELECT core.tenant_org_id()));
CREATE POLICY members_add ON core.organization_members FOR INSERT TO app_user
    WITH CHECK (organization_id = (SELECT core.tenant_org_id())
                AND (SELECT core.current_org_role()) IN ('owner', 'admin')
                AND user_id IS DISTINCT FROM (SELECT core.current_user_id())
                AND (role <> 'owner' OR (SELECT core.current_org_role()) = 'owner'));
CREATE POLICY members_change ON core.organization_members FOR UPDATE TO app_user
    USING (organization_id = (SELECT core.tenant_org_id())
           AND (SELECT core.current_org_role()) IN ('owner', 'admin')
           AND user_id IS DISTINCT FROM (SELECT core.current_user_id())
           AND (role <> 'owner' OR (SELECT core.current_org_role()) = 'owner'))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id())
                AND user_id IS DISTINCT FROM (SELECT core.current_user_id())
                AND (role <> 'owner' OR (SELECT core.current_org_role()) = 'owner'));
CREATE POLICY members_remove ON core.organization_members FOR DELETE TO app_user
    USING (organization_id = (SELECT core.tenant_org_id())
           AND ((user_id = (SELECT core.current_user_id())
                 AND (role <> 'owner' OR core.org_owner_count(organization_id) > 1))
                OR ((SELECT core.current_org_role()) IN ('owner', 'admin')
                    AND user_id IS DISTINCT FROM (SELECT core.current_user_id())
                    AND (role <> 'owner' OR (SELECT core.current_org_role()) = 'owner'))));

-- project_members
DROP POLICY tenant_isolation ON core.project_members;
CREATE POLICY project_members_read ON core.project_members FOR SELECT TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));
CREATE POLICY project_members_write ON core.project_members FOR ALL TO app_user
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[])
           AND user_id IS DISTINCT FROM (SELECT core.current_user_id())
           AND ((SELECT core.current_org_role()) IN ('owner', 'admin') OR core.project_role(project_id) = 'admin'))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[])
                AND user_id IS DISTINCT FROM (SELECT core.current_user_id())
                AND ((SELECT core.current_org_role()) IN ('owner', 'admin') OR core.project_role(project_id) = 'admin'));

-- users: the platform role is no application's to write; sign-up makes a 'user'
DROP POLICY sign_up ON core.users;
CREATE POLICY sign_up ON core.users FOR INSERT TO app_user WITH CHECK (role = 'user');   -- before any session exists
REVOKE INSERT, UPDATE ON core.users FROM app_user;
GRANT INSERT (id, email, name, avatar_url, auth_provider, github_id, password_hash, mfa_enabled, mfa_secret_encrypted)
    ON core.users TO app_user;
GRANT UPDATE (email, name, avatar_url, auth_provider, github_id, password_hash, mfa_enabled, mfa_secret_encrypted,
              last_login_at, deleted_at) ON core.users TO app_user;

-- mcp_servers: a global registry (no tenant), so no tenant may add, reconfigure or remove a server; the application
-- writes only the runtime health state (map: "runtime health state written by the app")
REVOKE INSERT, UPDATE, DELETE ON core.mcp_servers FROM app_user;
GRANT UPDATE (status, last_health_check_at, last_successful_connection_at) ON core.mcp_servers TO app_user;
