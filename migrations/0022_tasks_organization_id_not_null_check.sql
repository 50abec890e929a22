-- written by: schemadb new tasks_organization_id --template add-column --set table=core.tasks --set column=organization_id --set type=uuid --set 'backfill=(SELECT p.organization_id FROM core.projects p WHERE p.id = tasks.project_id)' --set not_null=true --set batch_size=5000
ALTER TABLE core.tasks
    ADD CONSTRAINT tasks_organization_id_not_null CHECK (organization_id IS NOT NULL) NOT VALID;
