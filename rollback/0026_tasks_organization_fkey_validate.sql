-- written by: schemadb new tasks_organization_fkey --template add-foreign-key --set table=core.tasks --set columns=project_id,organization_id --set ref_table=core.projects --set ref_columns=id,organization_id --set index=false --set on_delete=cascade --set name=tasks_project_organization_fkey
-- PostgreSQL cannot mark a constraint not validated again: drop it and add it back NOT VALID (brief).
ALTER TABLE core.tasks
    DROP CONSTRAINT tasks_project_organization_fkey,
    ADD CONSTRAINT tasks_project_organization_fkey FOREIGN KEY (project_id, organization_id) REFERENCES core.projects (id, organization_id) ON DELETE CASCADE NOT VALID;
