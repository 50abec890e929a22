-- What a database holds beyond what one CREATE DATABASE gives (plpgsql, the public schema): a scratch database
-- for `schemadb verify` must hold nothing else, since every migration and rollback will run on it.
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND nspname NOT LIKE 'pg\_temp\_%%' AND nspname NOT LIKE 'pg\_toast\_temp\_%%'
)
SELECT what FROM (
    SELECT 'schema ' || quote_ident(nspname) AS what FROM ns WHERE nspname <> 'public'
    UNION ALL
    SELECT CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'v' THEN 'view ' WHEN 'S' THEN 'sequence '
                          WHEN 'm' THEN 'materialized view ' ELSE 'relation ' END
           || format('%%I.%%I', ns.nspname, c.relname)
           || CASE WHEN c.relkind IN ('r', 'p') THEN
                   format(' (%%s rows)', (SELECT CASE WHEN c.reltuples < 0 THEN 'some' ELSE c.reltuples::bigint::text END))
              ELSE '' END
      FROM pg_class c JOIN ns ON ns.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
    UNION ALL
    SELECT 'function ' || format('%%I.%%I', ns.nspname, p.proname) FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION ALL
    SELECT 'type ' || format('%%I.%%I', ns.nspname, t.typname) FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
     WHERE t.typtype IN ('d', 'e', 'r', 'm') OR (t.typtype = 'c' AND t.typrelid = 0)
    UNION ALL
    SELECT 'extension ' || quote_ident(extname) FROM pg_extension WHERE extname <> 'plpgsql'
    UNION ALL
    SELECT 'event trigger ' || quote_ident(evtname) FROM pg_event_trigger
    UNION ALL
    SELECT 'publication ' || quote_ident(pubname) FROM pg_publication
    UNION ALL
    SELECT 'server ' || quote_ident(srvname) FROM pg_foreign_server
    UNION ALL
    SELECT 'default privileges of ' || pg_get_userbyid(defaclrole) FROM pg_default_acl
) x
ORDER BY 1
