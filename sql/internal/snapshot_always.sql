-- What no event trigger reports (event triggers, database settings, roles, memberships): listed at every step.
-- Roles and memberships are cluster-wide: a difference in them is a warning (another database may have made it).
SELECT 'event trigger', quote_ident(ev.evtname),
       jsonb_strip_nulls(jsonb_build_object('event', ev.evtevent, 'enabled', ev.evtenabled,
                                            'function', ev.evtfoid::regproc::text, 'tags', ev.evttags,
                                            'owner', pg_get_userbyid(ev.evtowner),
                                            'comment', obj_description(ev.oid, 'pg_event_trigger'))), 'r', NULL
FROM pg_event_trigger ev
WHERE ev.evtname NOT LIKE 'schemadb\_verify\_%%'
UNION ALL
SELECT 'database setting', CASE WHEN s.setrole = 0 THEN 'for every role' ELSE 'for role ' || pg_get_userbyid(s.setrole) END,
       jsonb_build_object('settings', (SELECT array_agg(x ORDER BY x) FROM unnest(s.setconfig) x)), 'r', NULL
FROM pg_db_role_setting s
WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())

UNION ALL
SELECT 'role', quote_ident(r.rolname),
       jsonb_strip_nulls(jsonb_build_object('login', r.rolcanlogin, 'superuser', r.rolsuper, 'inherit', r.rolinherit,
                                            'create role', r.rolcreaterole, 'create database', r.rolcreatedb,
                                            'replication', r.rolreplication, 'bypass rls', r.rolbypassrls,
                                            'connection limit', nullif(r.rolconnlimit, -1))), 'r', NULL
FROM pg_roles r
WHERE r.oid >= 16384
UNION ALL
SELECT 'membership', format('%%I in %%I', pg_get_userbyid(m.member), pg_get_userbyid(m.roleid)),
       jsonb_build_object('admin', m.admin_option), 'r', NULL
FROM pg_auth_members m
WHERE m.roleid >= 16384
