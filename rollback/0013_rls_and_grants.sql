-- Rollback of 0013 rls_and_grants: policies, RLS, grants and the security functions.
-- Every later migration has been rolled back already, so every policy in these schemas is 0013's.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT po.polname, c.oid::regclass AS tbl
               FROM pg_policy po JOIN pg_class c ON c.oid = po.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname IN ('core', 'audit', 'config', 'metrics', 'archive') LOOP
        EXECUTE format('DROP POLICY %I ON %s', r.polname, r.tbl);
    END LOOP;
    FOR r IN SELECT c.oid::regclass AS tbl
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname IN ('core', 'audit', 'config', 'metrics', 'archive') AND c.relrowsecurity LOOP
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', r.tbl);
    END LOOP;
    -- table grants (this also revokes the column grants on core.users)
    FOR r IN SELECT c.oid::regclass AS tbl
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname IN ('core', 'audit', 'config', 'metrics', 'archive')
                AND c.relkind IN ('r', 'p') AND NOT c.relispartition LOOP
        EXECUTE format('REVOKE ALL ON %s FROM app_user, app_readonly, audit_reader, metrics_reader', r.tbl);
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION core.encrypt_sensitive(text), core.decrypt_sensitive(bytea) FROM app_user;
DROP FUNCTION core.user_organizations(uuid);
DROP FUNCTION core.api_key_lookup(text);
DROP FUNCTION core.session_lookup(text);
DROP FUNCTION core.login_lookup(text);
DROP FUNCTION core.visible_user_ids();
DROP FUNCTION core.accessible_project_ids();
