-- schemadb:no-transaction
-- written by: schemadb new tasks_project_status_org_idx --template add-index --set table=core.tasks --set 'columns=project_id, status, organization_id' --set name=idx_tasks_project_status_org
-- On a partitioned table PostgreSQL cannot drop an index concurrently: schemadb then runs a plain DROP INDEX
-- (brief: catalog only, but an ACCESS EXCLUSIVE lock on the table and each partition) in short lock attempts.
DROP INDEX CONCURRENTLY core.idx_tasks_project_status_org;
