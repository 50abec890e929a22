-- Every object a whole snapshot covers (snapshot.sql), as the arrays of oids it takes.
WITH ns AS (
    SELECT oid FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'schemadb_verify')
      AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
)
SELECT (SELECT coalesce(array_agg(c.oid), '{}') FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
         WHERE c.relkind NOT IN ('t', 'i', 'I')) AS rels,
       (SELECT coalesce(array_agg(p.oid), '{}') FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace) AS procs,
       (SELECT coalesce(array_agg(t.oid), '{}') FROM pg_type t JOIN ns ON ns.oid = t.typnamespace) AS types,
       (SELECT coalesce(array_agg(oid), '{}') FROM ns) AS nsps
