-- written by: schemadb new tasks_organization_id --template add-column --set table=core.tasks --set column=organization_id --set type=uuid --set 'backfill=(SELECT p.organization_id FROM core.projects p WHERE p.id = tasks.project_id)' --set not_null=true --set batch_size=5000
-- SET NOT NULL finds the validated CHECK and scans nothing; the CHECK has done its work.
ALTER TABLE core.tasks ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE core.tasks DROP CONSTRAINT tasks_organization_id_not_null;
