-- Rollback of 0017 privilege_columns: the policies and grants as 0013 and 0016 left them.

DROP POLICY org_read ON core.organizations;
DROP POLICY org_update ON core.organizations;
DROP POLICY org_delete ON core.organizations;
CREATE POLICY tenant_isolation ON core.organizations TO app_user, app_readonly
    USING (id = (SELECT core.tenant_org_id())) WITH CHECK (id = (SELECT core.tenant_org_id()));
REVOKE UPDATE (slug, name, settings, deleted_at) ON core.organizations FROM app_user;
GRANT INSERT, UPDATE ON core.organizations TO app_user;

DROP POLICY members_read ON core.organization_members;
DROP POLICY members_add ON core.organization_members;
DROP POLICY members_change ON core.organization_members;
DROP POLICY members_remove ON core.organization_members;
CREATE POLICY tenant_isolation ON core.organization_members TO app_user, app_readonly
    USING (organization_id = (SELECT core.tenant_org_id()))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id()));

DROP POLICY project_members_read ON core.project_members;
DROP POLICY project_members_write ON core.project_members;
CREATE POLICY tenant_isolation ON core.project_members TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));

DROP POLICY sign_up ON core.users;
CREATE POLICY sign_up ON core.users FOR INSERT TO app_user WITH CHECK (true);
REVOKE INSERT (id, email, name, avatar_url, auth_provider, github_id, password_hash, mfa_enabled, mfa_secret_encrypted)
    ON core.users FROM app_user;
REVOKE UPDATE (email, name, avatar_url, auth_provider, github_id, password_hash, mfa_enabled, mfa_secret_encrypted,
               last_login_at, deleted_at) ON core.users FROM app_user;
GRANT INSERT, UPDATE ON core.users TO app_user;

REVOKE UPDATE (status, last_health_check_at, last_successful_connection_at) ON core.mcp_servers FROM app_user;
GRANT INSERT, UPDATE, DELETE ON core.mcp_servers TO app_user;

DROP FUNCTION core.create_organization(text, text);
DROP FUNCTION core.org_owner_count(uuid);
DROP FUNCTION core.project_role(uuid);
