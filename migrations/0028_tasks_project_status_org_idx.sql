-- schemadb:no-transaction
-- written by: schemadb new tasks_project_status_org_idx --template add-index --set table=core.tasks --set 'columns=project_id, status, organization_id' --set name=idx_tasks_project_status_org
-- Builds without blocking writes. On a partitioned table schemadb builds it partition by partition
-- (CREATE INDEX … ON ONLY, then CONCURRENTLY on each partition and ATTACH), resuming where it stopped.
CREATE INDEX CONCURRENTLY idx_tasks_project_status_org
    ON core.tasks (project_id, status, organization_id);
