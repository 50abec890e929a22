-- written by: schemadb new tasks_organization_fkey --template add-foreign-key --set table=core.tasks --set columns=project_id,organization_id --set ref_table=core.projects --set ref_columns=id,organization_id --set index=false --set on_delete=cascade --set name=tasks_project_organization_fkey
ALTER TABLE core.tasks DROP CONSTRAINT tasks_project_organization_fkey;
