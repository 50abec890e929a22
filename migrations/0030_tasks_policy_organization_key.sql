-- 0030 tasks_policy_organization_key: the policy of core.tasks names the organization.
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction. Fixes forward 0013.
--
-- Before: project_id = ANY (core.accessible_project_ids()) alone. Now the row's organization must be the tenant's
-- (membership-checked, core.tenant_org_id()), and its project one the tenant may see, a check skipped when the
-- tenant sees every project of that organization (core.tenant_sees_all_projects(), 0020; the array is then never
-- built). With the organization in the policy the planner reads the agents' queue from
-- idx_tasks_org_pending_by_type (0027): the tenant's own pending tasks, in order, no other tenant's backlog read.
-- Who sees which task does not change.

DROP POLICY tenant_isolation ON core.tasks;
CREATE POLICY tenant_isolation ON core.tasks TO app_user, app_readonly
    USING (organization_id = (SELECT core.tenant_org_id())
           AND ((SELECT core.tenant_sees_all_projects())
                OR project_id = ANY ((SELECT core.accessible_project_ids())::uuid[])))
    WITH CHECK (organization_id = (SELECT core.tenant_org_id())
                AND ((SELECT core.tenant_sees_all_projects())
                     OR project_id = ANY ((SELECT core.accessible_project_ids())::uuid[])));
