-- 0001 extensions_schemas_roles: pgcrypto, the five schemas, the four NOLOGIN roles and schema USAGE (map §7.1, §6.1).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

-- Departure from the map (§7.1 leaves pgcrypto installed by the rollback): pgcrypto may predate schemadb, so
-- it is created only when absent, and then marked by a comment; the rollback drops it only when it carries that
-- mark. Otherwise `rollback --all` could not leave the database exactly as it found it (`schemadb verify`).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto') THEN
        CREATE EXTENSION pgcrypto WITH SCHEMA public;    -- trusted extension in PG13+: the DB owner may install it
        COMMENT ON EXTENSION pgcrypto IS 'installed by schemadb migration 0001 (its rollback drops it)';
    END IF;
END $$;
DO $$
BEGIN
    IF (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
         WHERE e.extname = 'pgcrypto') <> 'public' THEN
        RAISE EXCEPTION 'pgcrypto is installed outside schema public; core.encrypt_sensitive expects public';
    END IF;
END $$;
CREATE SCHEMA core;
CREATE SCHEMA audit;
CREATE SCHEMA config;
CREATE SCHEMA metrics;
CREATE SCHEMA archive;
COMMENT ON SCHEMA core    IS 'Application data: tenants, agents, tasks, messages (RLS)';
COMMENT ON SCHEMA audit   IS 'Audit trail and security events';
COMMENT ON SCHEMA config  IS 'Vocabularies, reference data, configuration, retention policies';
COMMENT ON SCHEMA metrics IS 'Time-series metrics, materialized views, monitoring views';
COMMENT ON SCHEMA archive IS 'Rows moved out of live tables by schemadb archive';

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['app_user', 'app_readonly', 'audit_reader', 'metrics_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END $$;
GRANT USAGE ON SCHEMA core, config TO app_user, app_readonly;
GRANT USAGE ON SCHEMA audit   TO app_user, audit_reader;
GRANT USAGE ON SCHEMA metrics TO app_user, metrics_reader;
GRANT USAGE ON SCHEMA archive TO audit_reader, metrics_reader;
