-- Rollback of 0030 tasks_policy_organization_key: the policy of 0013.

DROP POLICY tenant_isolation ON core.tasks;
CREATE POLICY tenant_isolation ON core.tasks TO app_user, app_readonly
    USING (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT core.accessible_project_ids())::uuid[]));
