-- written by: schemadb new tasks_organization_id --template add-column --set table=core.tasks --set column=organization_id --set type=uuid --set 'backfill=(SELECT p.organization_id FROM core.projects p WHERE p.id = tasks.project_id)' --set not_null=true --set batch_size=5000
-- Rollback of 0021 tasks_organization_id: the triggers of 0008 as they were, and the column gone.
CREATE OR REPLACE TRIGGER trg_tasks_updated_at BEFORE UPDATE ON core.tasks
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE OR REPLACE TRIGGER trg_tasks_audit AFTER INSERT OR UPDATE OR DELETE ON core.tasks
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change('ignore=progress_percentage');
DROP TRIGGER trg_tasks_set_organization ON core.tasks;
DROP FUNCTION core.tasks_set_organization();
ALTER TABLE core.tasks DROP COLUMN organization_id;
