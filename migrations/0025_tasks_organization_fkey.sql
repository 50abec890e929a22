-- written by: schemadb new tasks_organization_fkey --template add-foreign-key --set table=core.tasks --set columns=project_id,organization_id --set ref_table=core.projects --set ref_columns=id,organization_id --set index=false --set on_delete=cascade --set name=tasks_project_organization_fkey
-- New and updated rows are checked from now on (brief SHARE ROW EXCLUSIVE locks on both tables);
-- the existing ones in the next migration.
ALTER TABLE core.tasks
    ADD CONSTRAINT tasks_project_organization_fkey FOREIGN KEY (project_id, organization_id) REFERENCES core.projects (id, organization_id) ON DELETE CASCADE NOT VALID;
