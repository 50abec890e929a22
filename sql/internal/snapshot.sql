-- A schema snapshot for `schemadb verify`: one row per object, (kind, name, details).
-- Roles are cluster-wide and left out; grants on the objects are part of the details.
-- The history and log tables (schemadb's own) are excluded.
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
),
own AS (
    SELECT to_regclass({history_text}) AS h UNION ALL SELECT to_regclass({log_text})
),
rel AS (
    SELECT c.*, ns.nspname, format('%I.%I', ns.nspname, c.relname) AS qname
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    WHERE c.oid NOT IN (SELECT h FROM own WHERE h IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM pg_index i JOIN own ON own.h = i.indrelid WHERE i.indexrelid = c.oid)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN own ON own.h = d.refobjid
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e')
)
SELECT 'schema' AS kind, quote_ident(n.nspname) AS name,
       jsonb_build_object('owner', pg_get_userbyid(n.nspowner), 'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(coalesce(n.nspacl, acldefault('n', n.nspowner))::text[]) x),
                          'comment', obj_description(n.oid, 'pg_namespace')) AS details
FROM pg_namespace n JOIN ns ON ns.oid = n.oid
UNION ALL
SELECT 'extension', quote_ident(e.extname),
       jsonb_build_object('schema', e.extnamespace::regnamespace::text)
FROM pg_extension e
UNION ALL
SELECT CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index'
                      WHEN 'I' THEN 'index' WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'type'
                      ELSE 'relation' END,
       r.qname,
       jsonb_strip_nulls(jsonb_build_object(
           'relkind', r.relkind, 'persistence', r.relpersistence, 'options', r.reloptions,
           'owner', pg_get_userbyid(r.relowner), 'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(coalesce(r.relacl, acldefault(CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END::"char", r.relowner))::text[]) x),
           'rls', r.relrowsecurity, 'force_rls', r.relforcerowsecurity,
           'partition_of', (SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_inherits i
                            JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                            WHERE i.inhrelid = r.oid),
           'partition_bound', pg_get_expr(r.relpartbound, r.oid),
           'partition_key', CASE WHEN r.relkind = 'p' THEN pg_get_partkeydef(r.oid) END,
           'definition', CASE WHEN r.relkind IN ('v', 'm') THEN pg_get_viewdef(r.oid)
                              WHEN r.relkind IN ('i', 'I') THEN pg_get_indexdef(r.oid) END,
           'valid', (SELECT indisvalid FROM pg_index WHERE indexrelid = r.oid),
           'comment', obj_description(r.oid, 'pg_class')))
FROM rel r
WHERE r.relkind <> 't'
UNION ALL
SELECT 'column', format('%s.%I', r.qname, a.attname),
       jsonb_strip_nulls(jsonb_build_object(
           'position', rank() OVER (PARTITION BY r.oid ORDER BY a.attnum),
           'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
           'default', pg_get_expr(ad.adbin, ad.adrelid), 'identity', nullif(a.attidentity, ''),
           'generated', nullif(a.attgenerated, ''),
           'collation', CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
           'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(a.attacl::text[]) x), 'comment', col_description(r.oid, a.attnum)))
FROM rel r
JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
UNION ALL
SELECT 'constraint', format('%s.%I', r.qname, co.conname),
       jsonb_build_object('definition', pg_get_constraintdef(co.oid), 'validated', co.convalidated,
                          'comment', obj_description(co.oid, 'pg_constraint'))
FROM pg_constraint co JOIN rel r ON r.oid = co.conrelid
WHERE co.conparentid = 0          -- the per-partition copies derive from their parent constraint
UNION ALL
SELECT 'domain constraint', format('%I.%I.%I', ns.nspname, t.typname, co.conname),
       jsonb_build_object('definition', pg_get_constraintdef(co.oid))
FROM pg_constraint co JOIN pg_type t ON t.oid = co.contypid JOIN ns ON ns.oid = t.typnamespace
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'e' THEN 'enum' WHEN 'r' THEN 'range' ELSE 'type' END,
       format('%I.%I', ns.nspname, t.typname),
       jsonb_strip_nulls(jsonb_build_object(
           'base', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
           'not_null', t.typnotnull, 'default', t.typdefault, 'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(coalesce(t.typacl, acldefault('T', t.typowner))::text[]) x),
           'labels', (SELECT array_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid),
           'comment', obj_description(t.oid, 'pg_type')))
FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
WHERE t.typtype IN ('d', 'e', 'r')
   OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
       format('%I.%I(%s)', ns.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       jsonb_strip_nulls(jsonb_build_object(
           'definition', CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END,
           'owner', pg_get_userbyid(p.proowner), 'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(coalesce(p.proacl, acldefault('f', p.proowner))::text[]) x),
           'comment', obj_description(p.oid, 'pg_proc')))
FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.deptype = 'e')
UNION ALL
SELECT 'trigger', format('%s.%I', r.qname, tg.tgname),
       jsonb_build_object('definition', pg_get_triggerdef(tg.oid), 'enabled', tg.tgenabled)
FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid
WHERE NOT tg.tgisinternal
UNION ALL
SELECT 'policy', format('%s.%I', r.qname, po.polname),
       jsonb_strip_nulls(jsonb_build_object(
           'command', po.polcmd, 'permissive', po.polpermissive,
           'roles', (SELECT array_agg(CASE WHEN x = 0 THEN 'public' ELSE pg_get_userbyid(x) END ORDER BY 1)
                     FROM unnest(po.polroles) x),
           'using', pg_get_expr(po.polqual, po.polrelid), 'check', pg_get_expr(po.polwithcheck, po.polrelid)))
FROM pg_policy po JOIN rel r ON r.oid = po.polrelid
UNION ALL
SELECT 'rule', format('%s.%I', r.qname, ru.rulename), jsonb_build_object('definition', pg_get_ruledef(ru.oid))
FROM pg_rewrite ru JOIN rel r ON r.oid = ru.ev_class
WHERE ru.rulename <> '_RETURN'
UNION ALL
SELECT 'default privileges',
       format('%s in %s on %s', pg_get_userbyid(da.defaclrole), coalesce(da.defaclnamespace::regnamespace::text, '*'),
              da.defaclobjtype),
       jsonb_build_object('acl', (SELECT array_agg(x ORDER BY x) FROM unnest(da.defaclacl::text[]) x))
FROM pg_default_acl da
UNION ALL
SELECT 'event trigger', quote_ident(ev.evtname), jsonb_build_object('event', ev.evtevent, 'enabled', ev.evtenabled,
       'function', ev.evtfoid::regproc::text)
FROM pg_event_trigger ev
