-- schemadb:no-transaction
-- written by: schemadb new tasks_org_pending_by_type_idx --template add-index --set table=core.tasks --set 'columns=organization_id, agent_type, priority DESC, created_at' --set 'where=status = '"'"'pending'"'"'' --set name=idx_tasks_org_pending_by_type
-- Builds without blocking writes. On a partitioned table schemadb builds it partition by partition
-- (CREATE INDEX … ON ONLY, then CONCURRENTLY on each partition and ATTACH), resuming where it stopped.
CREATE INDEX CONCURRENTLY idx_tasks_org_pending_by_type
    ON core.tasks (organization_id, agent_type, priority DESC, created_at)
    WHERE status = 'pending';
