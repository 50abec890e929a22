-- schemadb:no-transaction
-- written by: schemadb new drop_tasks_project_status_idx --template drop-index --set table=core.tasks --set 'columns=project_id, status' --set name=idx_tasks_project_status
DROP INDEX CONCURRENTLY core.idx_tasks_project_status;
