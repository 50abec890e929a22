-- A schema snapshot for `schemadb verify`: one row per object (kind, name, details, scope, own).
-- Only the objects of the given scopes are returned: the relations %(rels)s (with their columns, constraints,
-- indexes, triggers, policies and rules), the functions %(procs)s, the types %(types)s and the schemas
-- %(nsps)s; the rare kinds, which are few, always. A whole snapshot passes every object's oid (snapshot_oids.sql).
-- The arrays drive the query, so that, prepared once, each step costs index lookups of what it touched.
-- The scope says which object a row belongs to ('c:<oid>' a table and what hangs on it; 'p:' a function;
-- 't:' a type; 'n:' a schema; 'r' the rare kinds); `own` is the row's own object, for dropped objects.
-- schemadb's own history and log tables, the objects of extensions and verify's own schema are left out.
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'schemadb_verify')
      AND nspname NOT LIKE 'pg\_temp\_%%' AND nspname NOT LIKE 'pg\_toast\_temp\_%%'
),
own AS (
    SELECT to_regclass({history_text}) AS h UNION ALL SELECT to_regclass({log_text})
),
wanted AS MATERIALIZED (          -- the relations asked for, and their indexes (LATERAL: index lookups only)
    SELECT w.oid FROM unnest(%(rels)s::oid[]) AS w(oid)
    UNION SELECT i.indexrelid FROM unnest(%(rels)s::oid[]) AS w(oid)
                 CROSS JOIN LATERAL (SELECT indexrelid FROM pg_index WHERE indrelid = w.oid) i
),
rel AS MATERIALIZED (
    SELECT c.*, ns.nspname, format('%%I.%%I', ns.nspname, c.relname) AS qname,
           'c:' || coalesce((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid), c.oid) AS scope
    FROM wanted w CROSS JOIN LATERAL (SELECT * FROM pg_class WHERE oid = w.oid) c
    JOIN ns ON ns.oid = c.relnamespace
    WHERE c.relkind <> 't'
      AND c.oid NOT IN (SELECT h FROM own WHERE h IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM pg_index i JOIN own ON own.h = i.indrelid WHERE i.indexrelid = c.oid)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN own ON own.h = d.refobjid
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
      AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')
)
SELECT 'schema' AS kind, quote_ident(n.nspname) AS name,
       jsonb_strip_nulls(jsonb_build_object(
           'owner', pg_get_userbyid(n.nspowner),
           'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(coalesce(n.nspacl, acldefault('n', n.nspowner))::text[]) x),
           'comment', obj_description(n.oid, 'pg_namespace'))) AS details,
       'n:' || n.oid AS scope, 'n:' || n.oid AS own
FROM unnest(%(nsps)s::oid[]) AS w(oid) CROSS JOIN LATERAL (SELECT * FROM pg_namespace WHERE oid = w.oid) n
JOIN ns ON ns.oid = n.oid
UNION ALL
SELECT CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index'
                      WHEN 'I' THEN 'index' WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'composite type'
                      ELSE 'relation' END,
       r.qname,
       jsonb_strip_nulls(jsonb_build_object(
           'relkind', r.relkind, 'persistence', r.relpersistence, 'options', r.reloptions,
           'owner', pg_get_userbyid(r.relowner),
           'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(coalesce(r.relacl, acldefault(CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END::"char", r.relowner))::text[]) x),
           'rls', r.relrowsecurity, 'force_rls', r.relforcerowsecurity,
           'replica identity', CASE WHEN r.relkind IN ('r', 'p') THEN
               CASE r.relreplident WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full'
                    ELSE 'index ' || (SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                                       WHERE i.indrelid = r.oid AND i.indisreplident) END END,
           'access method', (SELECT amname FROM pg_am WHERE oid = r.relam AND r.relkind IN ('r', 'p', 'm')),
           'tablespace', (SELECT spcname FROM pg_tablespace WHERE oid = r.reltablespace),
           'partition of', (SELECT format('%%I.%%I', pn.nspname, pc.relname) FROM pg_inherits i
                            JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                            WHERE i.inhrelid = r.oid AND r.relispartition),
           'inherits', (SELECT array_agg(format('%%I.%%I', pn.nspname, pc.relname) ORDER BY i.inhseqno) FROM pg_inherits i
                        JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                        WHERE i.inhrelid = r.oid AND NOT r.relispartition AND r.relkind IN ('r', 'p', 'f')),
           'children', (SELECT array_agg(format('%%I.%%I', cn.nspname, cc.relname) ORDER BY cn.nspname, cc.relname) FROM pg_inherits i
                        JOIN pg_class cc ON cc.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
                        WHERE i.inhparent = r.oid AND r.relkind IN ('r', 'p', 'f')),
           'partition bound', pg_get_expr(r.relpartbound, r.oid),
           'partition key', CASE WHEN r.relkind = 'p' THEN pg_get_partkeydef(r.oid) END,
           'definition', CASE WHEN r.relkind IN ('v', 'm') THEN pg_get_viewdef(r.oid)
                              WHEN r.relkind IN ('i', 'I') THEN pg_get_indexdef(r.oid) END,
           'valid', (SELECT indisvalid FROM pg_index WHERE indexrelid = r.oid),
           'clustered', (SELECT nullif(indisclustered, false) FROM pg_index WHERE indexrelid = r.oid),
           'sequence', (SELECT jsonb_build_object('type', format_type(s.seqtypid, NULL), 'start', s.seqstart,
                                                  'increment', s.seqincrement, 'min', s.seqmin, 'max', s.seqmax,
                                                  'cache', s.seqcache, 'cycle', s.seqcycle)
                        FROM pg_sequence s WHERE s.seqrelid = r.oid),
           'owned by', (SELECT format('%%I.%%I.%%I', tn.nspname, tc.relname, a.attname)
                          || CASE d.deptype WHEN 'i' THEN ' (identity)' ELSE '' END
                        FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid
                        JOIN pg_namespace tn ON tn.oid = tc.relnamespace
                        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND r.relkind = 'S'
                          AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1),
           'comment', obj_description(r.oid, 'pg_class'))),
       r.scope, 'c:' || r.oid
FROM rel r
UNION ALL
SELECT 'column', format('%%s.%%I', r.qname, a.attname),
       jsonb_strip_nulls(jsonb_build_object(
           'position', rank() OVER (PARTITION BY r.oid ORDER BY a.attnum),
           'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
           'default', pg_get_expr(ad.adbin, ad.adrelid), 'identity', nullif(a.attidentity, ''),
           'generated', nullif(a.attgenerated, ''),
           'collation', CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
           'statistics target', a.attstattarget,
           'storage', a.attstorage,
           'compression', CASE a.attcompression WHEN '' THEN 'default' WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4'
                          ELSE a.attcompression::text END,
           'options', (SELECT array_agg(o ORDER BY o) FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\_%%'),
           'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(a.attacl::text[]) x), 'comment', col_description(r.oid, a.attnum))),
       r.scope, NULL
FROM rel r
CROSS JOIN LATERAL (SELECT * FROM pg_attribute WHERE attrelid = r.oid AND attnum > 0 AND NOT attisdropped) a
CROSS JOIN LATERAL (SELECT typcollation, typstorage FROM pg_type WHERE oid = a.atttypid) t
LEFT JOIN LATERAL (SELECT adbin, adrelid FROM pg_attrdef WHERE adrelid = r.oid AND adnum = a.attnum) ad ON true
WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
UNION ALL
SELECT 'constraint', format('%%s.%%I', r.qname, co.conname),
       jsonb_strip_nulls(jsonb_build_object('definition', pg_get_constraintdef(co.oid), 'validated', co.convalidated,
                          'comment', obj_description(co.oid, 'pg_constraint'))),
       r.scope, 'co:' || co.oid
FROM rel r CROSS JOIN LATERAL (SELECT * FROM pg_constraint WHERE conrelid = r.oid) co
WHERE co.conparentid = 0          -- the per-partition copies derive from their parent constraint
UNION ALL
SELECT 'domain constraint', format('%%I.%%I.%%I', ns.nspname, t.typname, co.conname),
       jsonb_strip_nulls(jsonb_build_object('definition', pg_get_constraintdef(co.oid), 'validated', co.convalidated,
                                            'comment', obj_description(co.oid, 'pg_constraint'))),
       't:' || t.oid, 'co:' || co.oid
FROM unnest(%(types)s::oid[]) AS w(oid) CROSS JOIN LATERAL (SELECT * FROM pg_type WHERE oid = w.oid) t
CROSS JOIN LATERAL (SELECT * FROM pg_constraint WHERE contypid = t.oid) co JOIN ns ON ns.oid = t.typnamespace
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'e' THEN 'enum' WHEN 'r' THEN 'range' WHEN 'm' THEN 'multirange'
                      ELSE 'type' END,
       format('%%I.%%I', ns.nspname, t.typname),
       jsonb_strip_nulls(jsonb_build_object(
           'base', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
           'subtype', (SELECT format_type(rngsubtype, NULL) FROM pg_range WHERE rngtypid = t.oid),
           'not_null', nullif(t.typnotnull, false), 'default', t.typdefault,
           'owner', pg_get_userbyid(t.typowner),
           'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(coalesce(t.typacl, acldefault('T', t.typowner))::text[]) x),
           'labels', (SELECT array_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid),
           'comment', obj_description(t.oid, 'pg_type'))),
       't:' || t.oid, 't:' || t.oid
FROM unnest(%(types)s::oid[]) AS w(oid) CROSS JOIN LATERAL (SELECT * FROM pg_type WHERE oid = w.oid) t
JOIN ns ON ns.oid = t.typnamespace
WHERE (t.typtype IN ('d', 'e', 'r', 'm') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
  AND NOT (t.typtype = 'm' AND EXISTS (SELECT 1 FROM pg_range WHERE rngmultitypid = t.oid))  -- made with its range
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
       format('%%I.%%I(%%s)', ns.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       jsonb_strip_nulls(jsonb_build_object(
           'definition', CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) END,
           'aggregate', (SELECT jsonb_strip_nulls(jsonb_build_object(
                             'kind', ag.aggkind, 'direct args', nullif(ag.aggnumdirectargs, 0),
                             'transition', ag.aggtransfn::regproc::text, 'state type', format_type(ag.aggtranstype, NULL),
                             'state space', nullif(ag.aggtransspace, 0), 'initial', ag.agginitval,
                             'final', nullif(ag.aggfinalfn, 0)::regproc::text, 'final extra', nullif(ag.aggfinalextra, false),
                             'final modify', ag.aggfinalmodify, 'combine', nullif(ag.aggcombinefn, 0)::regproc::text,
                             'serial', nullif(ag.aggserialfn, 0)::regproc::text,
                             'deserial', nullif(ag.aggdeserialfn, 0)::regproc::text,
                             'moving transition', nullif(ag.aggmtransfn, 0)::regproc::text,
                             'moving inverse', nullif(ag.aggminvtransfn, 0)::regproc::text,
                             'moving final', nullif(ag.aggmfinalfn, 0)::regproc::text,
                             'moving state type', CASE WHEN ag.aggmtranstype <> 0 THEN format_type(ag.aggmtranstype, NULL) END,
                             'moving initial', ag.aggminitval,
                             'sort operator', nullif(ag.aggsortop, 0)::regoperator::text,
                             'returns', format_type(p.prorettype, NULL), 'strict', p.proisstrict,
                             'parallel', p.proparallel))
                         FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid),
           'owner', pg_get_userbyid(p.proowner),
           'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(coalesce(p.proacl, acldefault('f', p.proowner))::text[]) x),
           'comment', obj_description(p.oid, 'pg_proc'))),
       'p:' || p.oid, 'p:' || p.oid
FROM unnest(%(procs)s::oid[]) AS w(oid) CROSS JOIN LATERAL (SELECT * FROM pg_proc WHERE oid = w.oid) p
JOIN ns ON ns.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
UNION ALL
SELECT 'trigger', format('%%s.%%I', r.qname, tg.tgname),
       jsonb_strip_nulls(jsonb_build_object('definition', pg_get_triggerdef(tg.oid), 'enabled', tg.tgenabled,
                                            'comment', obj_description(tg.oid, 'pg_trigger'))),
       r.scope, 'tg:' || tg.oid
FROM rel r CROSS JOIN LATERAL (SELECT * FROM pg_trigger WHERE tgrelid = r.oid) tg
WHERE NOT tg.tgisinternal AND tg.tgparentid = 0
UNION ALL
SELECT 'policy', format('%%s.%%I', r.qname, po.polname),
       jsonb_strip_nulls(jsonb_build_object(
           'command', po.polcmd, 'permissive', po.polpermissive,
           'roles', (SELECT array_agg(r ORDER BY r) FROM (SELECT CASE WHEN x = 0 THEN 'public' ELSE pg_get_userbyid(x) END AS r
                     FROM unnest(po.polroles) x) roles),
           'using', pg_get_expr(po.polqual, po.polrelid), 'check', pg_get_expr(po.polwithcheck, po.polrelid),
           'comment', obj_description(po.oid, 'pg_policy'))),
       r.scope, 'po:' || po.oid
FROM rel r CROSS JOIN LATERAL (SELECT * FROM pg_policy WHERE polrelid = r.oid) po
UNION ALL
SELECT 'rule', format('%%s.%%I', r.qname, ru.rulename),
       jsonb_strip_nulls(jsonb_build_object('definition', pg_get_ruledef(ru.oid), 'enabled', ru.ev_enabled,
                                            'comment', obj_description(ru.oid, 'pg_rewrite'))),
       r.scope, 'ru:' || ru.oid
FROM rel r CROSS JOIN LATERAL (SELECT * FROM pg_rewrite WHERE ev_class = r.oid) ru
WHERE ru.rulename <> '_RETURN'
