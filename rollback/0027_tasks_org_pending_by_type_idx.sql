-- schemadb:no-transaction
-- written by: schemadb new tasks_org_pending_by_type_idx --template add-index --set table=core.tasks --set 'columns=organization_id, agent_type, priority DESC, created_at' --set 'where=status = '"'"'pending'"'"'' --set name=idx_tasks_org_pending_by_type
-- On a partitioned table PostgreSQL cannot drop an index concurrently: schemadb then runs a plain DROP INDEX
-- (brief: catalog only, but an ACCESS EXCLUSIVE lock on the table and each partition) in short lock attempts.
DROP INDEX CONCURRENTLY core.idx_tasks_org_pending_by_type;
