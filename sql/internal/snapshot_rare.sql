-- The rare kinds of a snapshot (see snapshot.sql): few objects each, listed whole when a step touched one.
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'schemadb_verify')
      AND nspname NOT LIKE 'pg\_temp\_%%' AND nspname NOT LIKE 'pg\_toast\_temp\_%%'
)
SELECT 'extension', quote_ident(e.extname),
       jsonb_strip_nulls(jsonb_build_object('schema', e.extnamespace::regnamespace::text, 'version', e.extversion,
                                            'comment', obj_description(e.oid, 'pg_extension'))), 'r', NULL
FROM pg_extension e
UNION ALL
SELECT 'default privileges',
       format('%%s in %%s on %%s', pg_get_userbyid(da.defaclrole), coalesce(da.defaclnamespace::regnamespace::text, '*'),
              da.defaclobjtype),
       jsonb_build_object('acl', (SELECT array_agg(x ORDER BY x) FROM unnest(da.defaclacl::text[]) x)), 'r', NULL
FROM pg_default_acl da
UNION ALL
SELECT 'statistics', format('%%I.%%I', n.nspname, s.stxname),
       jsonb_strip_nulls(jsonb_build_object('definition', pg_get_statisticsobjdef(s.oid),
                                            'statistics target', nullif(s.stxstattarget, -1),
                                            'owner', pg_get_userbyid(s.stxowner),
                                            'comment', obj_description(s.oid, 'pg_statistic_ext'))), 'r', NULL
FROM pg_statistic_ext s JOIN ns n ON n.oid = s.stxnamespace
UNION ALL
SELECT 'publication', quote_ident(p.pubname),
       jsonb_strip_nulls(jsonb_build_object(
           'all tables', p.puballtables, 'insert', p.pubinsert, 'update', p.pubupdate, 'delete', p.pubdelete,
           'truncate', p.pubtruncate, 'via root', p.pubviaroot, 'owner', pg_get_userbyid(p.pubowner),
           'tables', (SELECT array_agg(t ORDER BY t) FROM (
                          SELECT format('%%I.%%I', cn.nspname, c.relname)
                                 || coalesce(' (' || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                                                        FROM pg_attribute a WHERE a.attrelid = pr.prrelid
                                                         AND a.attnum = ANY (pr.prattrs)) || ')', '')
                                 || coalesce(' WHERE ' || pg_get_expr(pr.prqual, pr.prrelid), '') AS t
                            FROM pg_publication_rel pr JOIN pg_class c ON c.oid = pr.prrelid
                            JOIN pg_namespace cn ON cn.oid = c.relnamespace WHERE pr.prpubid = p.oid) pt),
           'schemas', (SELECT array_agg(pn.pnnspid::regnamespace::text ORDER BY pn.pnnspid::regnamespace::text)
                       FROM pg_publication_namespace pn WHERE pn.pnpubid = p.oid),
           'comment', obj_description(p.oid, 'pg_publication'))), 'r', NULL
FROM pg_publication p
UNION ALL
SELECT 'collation', format('%%I.%%I', n.nspname, c.collname),
       jsonb_strip_nulls(jsonb_build_object('provider', c.collprovider, 'deterministic', c.collisdeterministic,
                                            'collate', c.collcollate, 'ctype', c.collctype, 'icu locale', c.colliculocale,
                                            'owner', pg_get_userbyid(c.collowner),
                                            'comment', obj_description(c.oid, 'pg_collation'))), 'r', NULL
FROM pg_collation c JOIN ns n ON n.oid = c.collnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_collation'::regclass AND e.objid = c.oid AND e.deptype = 'e')
UNION ALL
SELECT 'text search configuration', format('%%I.%%I', n.nspname, c.cfgname),
       jsonb_strip_nulls(jsonb_build_object(
           'parser', c.cfgparser::regtype::text,
           'parser name', (SELECT prsname FROM pg_ts_parser WHERE oid = c.cfgparser),
           'mappings', (SELECT array_agg(m.maptokentype || ':' || m.mapseqno || ':' || m.mapdict::regdictionary::text
                                         ORDER BY m.maptokentype, m.mapseqno)
                        FROM pg_ts_config_map m WHERE m.mapcfg = c.oid),
           'owner', pg_get_userbyid(c.cfgowner), 'comment', obj_description(c.oid, 'pg_ts_config'))), 'r', NULL
FROM pg_ts_config c JOIN ns n ON n.oid = c.cfgnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_ts_config'::regclass AND e.objid = c.oid AND e.deptype = 'e')
UNION ALL
SELECT 'text search dictionary', format('%%I.%%I', n.nspname, d.dictname),
       jsonb_strip_nulls(jsonb_build_object(
           'template', (SELECT tmplname FROM pg_ts_template WHERE oid = d.dicttemplate), 'options', d.dictinitoption,
           'owner', pg_get_userbyid(d.dictowner), 'comment', obj_description(d.oid, 'pg_ts_dict'))), 'r', NULL
FROM pg_ts_dict d JOIN ns n ON n.oid = d.dictnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_ts_dict'::regclass AND e.objid = d.oid AND e.deptype = 'e')
UNION ALL
SELECT 'foreign data wrapper', quote_ident(w.fdwname),
       jsonb_strip_nulls(jsonb_build_object(
           'handler', nullif(w.fdwhandler, 0)::regproc::text, 'validator', nullif(w.fdwvalidator, 0)::regproc::text,
           'options', w.fdwoptions, 'owner', pg_get_userbyid(w.fdwowner),
           'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(w.fdwacl::text[]) x),
           'comment', obj_description(w.oid, 'pg_foreign_data_wrapper'))), 'r', NULL
FROM pg_foreign_data_wrapper w
WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_foreign_data_wrapper'::regclass AND e.objid = w.oid AND e.deptype = 'e')
UNION ALL
SELECT 'server', quote_ident(s.srvname),
       jsonb_strip_nulls(jsonb_build_object(
           'wrapper', (SELECT fdwname FROM pg_foreign_data_wrapper WHERE oid = s.srvfdw), 'type', s.srvtype,
           'version', s.srvversion, 'options', s.srvoptions, 'owner', pg_get_userbyid(s.srvowner),
           'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(s.srvacl::text[]) x),
           'comment', obj_description(s.oid, 'pg_foreign_server'))), 'r', NULL
FROM pg_foreign_server s
UNION ALL
SELECT 'user mapping', format('%%s on %%I', um.usename, um.srvname),
       -- option values may be passwords: only their names and a digest of the values are compared and shown
       jsonb_build_object('options', (SELECT array_agg(split_part(o, '=', 1) ORDER BY split_part(o, '=', 1))
                                      FROM unnest(um.umoptions) o),
                          'values digest', md5(coalesce(array_to_string(um.umoptions, ','), ''))), 'r', NULL
FROM pg_user_mappings um
UNION ALL
SELECT 'operator', format('%%I.%%s(%%s, %%s)', n.nspname, o.oprname, coalesce(format_type(nullif(o.oprleft, 0), NULL), 'NONE'),
                          coalesce(format_type(nullif(o.oprright, 0), NULL), 'NONE')),
       jsonb_strip_nulls(jsonb_build_object(
           'function', o.oprcode::regproc::text, 'returns', format_type(o.oprresult, NULL),
           'commutator', nullif(o.oprcom, 0)::regoperator::text, 'negator', nullif(o.oprnegate, 0)::regoperator::text,
           'restrict', nullif(o.oprrest, 0)::regproc::text, 'join', nullif(o.oprjoin, 0)::regproc::text,
           'merges', o.oprcanmerge, 'hashes', o.oprcanhash, 'owner', pg_get_userbyid(o.oprowner),
           'comment', obj_description(o.oid, 'pg_operator'))), 'r', NULL
FROM pg_operator o JOIN ns n ON n.oid = o.oprnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_operator'::regclass AND e.objid = o.oid AND e.deptype = 'e')
UNION ALL
SELECT 'operator class', format('%%I.%%I using %%s', n.nspname, c.opcname, am.amname),
       jsonb_strip_nulls(jsonb_build_object(
           'type', format_type(c.opcintype, NULL), 'default', c.opcdefault,
           'family', (SELECT format('%%I.%%I', fn.nspname, f.opfname) FROM pg_opfamily f
                      JOIN pg_namespace fn ON fn.oid = f.opfnamespace WHERE f.oid = c.opcfamily),
           'storage', nullif(c.opckeytype, 0)::regtype::text,
           'operators', (SELECT array_agg(ao.amopstrategy || ' ' || ao.amopopr::regoperator::text ORDER BY ao.amopstrategy)
                         FROM pg_amop ao WHERE ao.amopfamily = c.opcfamily AND ao.amoplefttype = c.opcintype),
           'functions', (SELECT array_agg(ap.amprocnum || ' ' || ap.amproc::regprocedure::text ORDER BY ap.amprocnum)
                         FROM pg_amproc ap WHERE ap.amprocfamily = c.opcfamily AND ap.amproclefttype = c.opcintype),
           'owner', pg_get_userbyid(c.opcowner), 'comment', obj_description(c.oid, 'pg_opclass'))), 'r', NULL
FROM pg_opclass c JOIN ns n ON n.oid = c.opcnamespace JOIN pg_am am ON am.oid = c.opcmethod
WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_opclass'::regclass AND e.objid = c.oid AND e.deptype = 'e')
UNION ALL
SELECT 'operator family', format('%%I.%%I using %%s', n.nspname, f.opfname, am.amname),
       jsonb_strip_nulls(jsonb_build_object('owner', pg_get_userbyid(f.opfowner),
                                            'comment', obj_description(f.oid, 'pg_opfamily'))), 'r', NULL
FROM pg_opfamily f JOIN ns n ON n.oid = f.opfnamespace JOIN pg_am am ON am.oid = f.opfmethod
WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_opfamily'::regclass AND e.objid = f.oid AND e.deptype = 'e')
UNION ALL
SELECT 'cast', format('(%%s AS %%s)', format_type(c.castsource, NULL), format_type(c.casttarget, NULL)),
       jsonb_strip_nulls(jsonb_build_object('function', nullif(c.castfunc, 0)::regprocedure::text,
                                            'context', c.castcontext, 'method', c.castmethod,
                                            'comment', obj_description(c.oid, 'pg_cast'))), 'r', NULL
FROM pg_cast c
WHERE c.oid >= 16384
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_cast'::regclass AND e.objid = c.oid AND e.deptype = 'e')
UNION ALL
SELECT 'access method', quote_ident(a.amname),
       jsonb_strip_nulls(jsonb_build_object('type', a.amtype, 'handler', a.amhandler::regproc::text,
                                            'comment', obj_description(a.oid, 'pg_am'))), 'r', NULL
FROM pg_am a
WHERE a.oid >= 16384
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_am'::regclass AND e.objid = a.oid AND e.deptype = 'e')
UNION ALL
SELECT 'language', quote_ident(l.lanname),
       jsonb_strip_nulls(jsonb_build_object('trusted', l.lanpltrusted, 'handler', nullif(l.lanplcallfoid, 0)::regproc::text,
                                            'owner', pg_get_userbyid(l.lanowner),
                                            'acl', (SELECT array_agg(x ORDER BY x) FROM unnest(l.lanacl::text[]) x),
                                            'comment', obj_description(l.oid, 'pg_language'))), 'r', NULL
FROM pg_language l
WHERE l.oid >= 16384
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_language'::regclass AND e.objid = l.oid AND e.deptype = 'e')
