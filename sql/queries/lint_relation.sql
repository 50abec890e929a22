-- What lint needs to know of one relation (by name, resolved on the search path), as one json value, or NULL:
-- its kind, its size (rows: reltuples, or -1 never analyzed; bytes: on disk, partitions included), its columns
-- (type, typmod parts, NOT NULL, a validated CHECK (col IS NOT NULL), any CHECK reading it), its CHECK
-- constraints, its partition key and whether it has a DEFAULT partition.
WITH r AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = pg_catalog.to_regclass(%s)
), checks AS (
    SELECT k.conname, k.convalidated, k.conkey,
           (SELECT pg_catalog.array_agg(a.attname) FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)) AS columns,
           (SELECT a.attname FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
               AND pg_catalog.pg_get_constraintdef(k.oid) = 'CHECK ((' || pg_catalog.quote_ident(a.attname)
                                                             || ' IS NOT NULL))') AS not_null_of
      FROM pg_catalog.pg_constraint k, r
     WHERE k.conrelid = r.oid AND k.contype = 'c'
)
SELECT pg_catalog.json_build_object(
    'schema', r.nspname, 'name', r.relname,
    'kind', CASE r.relkind WHEN 'p' THEN 'partitioned' WHEN 'm' THEN 'matview' WHEN 'v' THEN 'view' ELSE 'table' END,
    'rows', CASE WHEN r.relkind = 'p'
                 THEN (SELECT coalesce(sum(greatest(c.reltuples, 0)), 0) FROM pg_catalog.pg_partition_tree(r.oid) t
                         JOIN pg_catalog.pg_class c ON c.oid = t.relid WHERE t.isleaf)
                 ELSE greatest(r.reltuples, 0) END,
    'bytes', CASE WHEN r.relkind = 'p'
                  THEN (SELECT coalesce(sum(pg_catalog.pg_relation_size(t.relid)), 0)
                          FROM pg_catalog.pg_partition_tree(r.oid) t WHERE t.isleaf)
                  ELSE pg_catalog.pg_relation_size(r.oid) END,
    'columns', (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                    'name', a.attname,
                    'type', CASE WHEN t.typcategory = 'A' THEN et.typname ELSE t.typname END,
                    'array', t.typcategory = 'A',
                    'mods', CASE WHEN a.atttypmod < 0 THEN '[]'::json
                                 WHEN t.typname IN ('numeric', '_numeric')
                                 THEN pg_catalog.json_build_array((a.atttypmod - 4) >> 16, (a.atttypmod - 4) & 65535)
                                 WHEN t.typname IN ('varchar', 'bpchar', '_varchar', '_bpchar')
                                 THEN pg_catalog.json_build_array(a.atttypmod - 4)
                                 ELSE pg_catalog.json_build_array(a.atttypmod) END,
                    'not_null', a.attnotnull,
                    'nn_check', EXISTS (SELECT 1 FROM checks WHERE checks.not_null_of = a.attname AND checks.convalidated),
                    'has_check', EXISTS (SELECT 1 FROM checks WHERE a.attnum = ANY (checks.conkey))))
                  FROM pg_catalog.pg_attribute a
                  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                  LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem
                 WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped),
    'checks', (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                   'name', conname, 'validated', convalidated, 'not_null_of', not_null_of, 'columns', columns))
                 FROM checks),
    'partition_key', (SELECT pg_catalog.json_agg(a.attname ORDER BY k.i)
                        FROM pg_catalog.pg_partitioned_table pt, unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, i)
                        JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = k.attnum
                       WHERE pt.partrelid = r.oid),
    'has_default', EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table pt
                            WHERE pt.partrelid = r.oid AND pt.partdefid <> 0))
  FROM r;
