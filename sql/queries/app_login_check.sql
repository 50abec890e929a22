-- Why this login must not serve the application, or no row: the first role it can act as (itself, or any role it is
-- a member of, which an injected SET ROLE reaches) that escapes row-level security: a superuser, a BYPASSRLS role,
-- or the owner of a schema, table, view, sequence or function (the owner bypasses its tables' policies).
WITH reach AS (
    SELECT r.oid, r.rolname, r.rolsuper, r.rolbypassrls
      FROM pg_catalog.pg_roles r
     WHERE pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER')
), owned AS (
    SELECT reach.oid,
           (SELECT x.what
              FROM (SELECT 'schema ' || pg_catalog.quote_ident(n.nspname) AS what
                      FROM pg_catalog.pg_namespace n
                     WHERE n.nspowner = reach.oid AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
                    UNION ALL
                    SELECT 'table ' || c.oid::pg_catalog.regclass::text
                      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relowner = reach.oid AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
                    UNION ALL
                    SELECT 'function ' || p.oid::pg_catalog.regprocedure::text
                      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                     WHERE p.proowner = reach.oid AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema') x
             LIMIT 1) AS what
      FROM reach
)
SELECT reach.rolname,
       reach.rolname = session_user AS is_login,
       CASE WHEN reach.rolsuper THEN 'is a superuser'
            WHEN reach.rolbypassrls THEN 'has BYPASSRLS'
            ELSE 'owns ' || owned.what END AS why
  FROM reach JOIN owned ON owned.oid = reach.oid
 WHERE reach.rolsuper OR reach.rolbypassrls OR owned.what IS NOT NULL
 ORDER BY reach.rolname = session_user DESC, reach.rolname
 LIMIT 1;
