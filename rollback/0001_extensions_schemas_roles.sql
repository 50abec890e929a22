-- Rollback of 0001 extensions_schemas_roles.
DROP SCHEMA archive, metrics, config, audit, core;             -- RESTRICT: they are empty by now

-- Roles are cluster-wide: a role is dropped only when it has no members and nothing in another database
-- depends on it (another database migrated by schemadb still uses it); otherwise it is kept, with a NOTICE.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['metrics_reader', 'audit_reader', 'app_readonly', 'app_user'] LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
        IF EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = r) THEN
            RAISE NOTICE 'role % kept: it has members', r;
            CONTINUE;
        END IF;
        BEGIN
            EXECUTE format('DROP ROLE %I', r);
        EXCEPTION
            WHEN dependent_objects_still_exist THEN
                RAISE NOTICE 'role % kept: it still has privileges in another database', r;
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'role % kept: dropping it needs CREATEROLE', r;
        END;
    END LOOP;
END $$;

-- pgcrypto is dropped only when 0001 installed it (it then carries 0001's mark) and nothing else uses it.
DO $$
BEGIN
    IF obj_description((SELECT oid FROM pg_extension WHERE extname = 'pgcrypto'), 'pg_extension')
           = 'installed by schemadb migration 0001 (its rollback drops it)' THEN
        BEGIN
            DROP EXTENSION pgcrypto;
        EXCEPTION WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'extension pgcrypto kept: other objects depend on it';
        END;
    END IF;
END $$;
