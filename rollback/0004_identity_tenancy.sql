-- Rollback of 0004 identity_tenancy.
DROP TABLE core.api_keys;
DROP TABLE core.user_sessions;
DROP TABLE core.project_members;
DROP TABLE core.projects;
DROP TABLE core.organization_members;
DROP TABLE core.users;
DROP TABLE core.organizations;
