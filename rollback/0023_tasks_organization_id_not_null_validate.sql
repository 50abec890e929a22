-- written by: schemadb new tasks_organization_id --template add-column --set table=core.tasks --set column=organization_id --set type=uuid --set 'backfill=(SELECT p.organization_id FROM core.projects p WHERE p.id = tasks.project_id)' --set not_null=true --set batch_size=5000
-- PostgreSQL cannot mark a constraint not validated again: drop it and add it back NOT VALID (brief).
ALTER TABLE core.tasks
    DROP CONSTRAINT tasks_organization_id_not_null,
    ADD CONSTRAINT tasks_organization_id_not_null CHECK (organization_id IS NOT NULL) NOT VALID;
