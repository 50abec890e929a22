-- Foreign keys from other tables into a partitioned parent: (referencing table, its columns, the referenced
-- columns, the ON DELETE action). Their rows must go before a partition can be detached.
SELECT format('%%I.%%I', n.nspname, c.relname) AS referencing,
       n.nspname AS schema_name, c.relname AS table_name,
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum) AS columns,
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(co.confkey) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum) AS referenced,
       co.confdeltype AS on_delete
  FROM pg_constraint co
  JOIN pg_class c ON c.oid = co.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE co.contype = 'f' AND co.confrelid = %(parent)s::regclass AND co.conparentid = 0
