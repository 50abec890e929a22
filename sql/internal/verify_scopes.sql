-- The snapshot scopes (see snapshot.sql) of the objects a step touched: each object's own scope, the scopes of
-- the objects that depend on it (a renamed type or sequence changes how its users print), and the parents and
-- children of touched tables (ATTACH and DETACH change both). 'r' stands for the rare kinds. Every part is an
-- index lookup of what was touched: the cost of a step does not grow with the schema.
WITH touched(classid, objid) AS (
    SELECT * FROM unnest(%(classids)s::oid[], %(objids)s::oid[])
),
dependents AS (
    SELECT d.classid, d.objid FROM touched t
      JOIN pg_depend d ON d.refclassid = t.classid AND d.refobjid = t.objid AND d.deptype = 'n'
),
objects AS (
    SELECT * FROM touched UNION SELECT * FROM dependents
),
scoped AS (
    SELECT CASE o.classid
             WHEN 'pg_class'::regclass THEN
                 'c:' || coalesce((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = o.objid), o.objid)
             WHEN 'pg_proc'::regclass THEN 'p:' || o.objid
             WHEN 'pg_type'::regclass THEN 't:' || o.objid
             WHEN 'pg_namespace'::regclass THEN 'n:' || o.objid
             WHEN 'pg_constraint'::regclass THEN
                 (SELECT CASE WHEN conrelid <> 0 THEN 'c:' || conrelid ELSE 't:' || contypid END
                    FROM pg_constraint WHERE oid = o.objid)
             WHEN 'pg_trigger'::regclass THEN (SELECT 'c:' || tgrelid FROM pg_trigger WHERE oid = o.objid)
             WHEN 'pg_policy'::regclass THEN (SELECT 'c:' || polrelid FROM pg_policy WHERE oid = o.objid)
             WHEN 'pg_rewrite'::regclass THEN (SELECT 'c:' || ev_class FROM pg_rewrite WHERE oid = o.objid)
             WHEN 'pg_attrdef'::regclass THEN (SELECT 'c:' || adrelid FROM pg_attrdef WHERE oid = o.objid)
             ELSE 'r'
           END AS scope
      FROM objects o
)
SELECT DISTINCT scope FROM scoped WHERE scope IS NOT NULL
UNION                              -- a row type's relation: a table's, or a composite type's columns
SELECT 'c:' || t.typrelid FROM objects o JOIN pg_type t ON t.oid = o.objid
 WHERE o.classid = 'pg_type'::regclass AND t.typrelid <> 0
UNION
SELECT 'c:' || i.inhrelid FROM pg_inherits i
 WHERE i.inhparent = ANY (%(objids)s::oid[]) AND 'pg_class'::regclass = ANY (%(classids)s::oid[])
UNION
SELECT 'c:' || i.inhparent FROM pg_inherits i
 WHERE i.inhrelid = ANY (%(objids)s::oid[]) AND 'pg_class'::regclass = ANY (%(classids)s::oid[])
