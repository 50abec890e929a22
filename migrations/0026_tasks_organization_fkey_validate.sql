-- written by: schemadb new tasks_organization_fkey --template add-foreign-key --set table=core.tasks --set columns=project_id,organization_id --set ref_table=core.projects --set ref_columns=id,organization_id --set index=false --set on_delete=cascade --set name=tasks_project_organization_fkey
-- Scans core.tasks under SHARE UPDATE EXCLUSIVE (and takes ROW SHARE on core.projects): reads and writes go on.
ALTER TABLE core.tasks VALIDATE CONSTRAINT tasks_project_organization_fkey;
