-- The objects whose catalog rows the given transactions wrote: what a GRANT, REVOKE or ALTER DEFAULT PRIVILEGES
-- changed (they name no object to the event triggers). A scan of the catalogs that carry privileges, run only for
-- the steps that had such a statement.
SELECT 'pg_class' AS classid, oid AS objid FROM pg_class WHERE xmin::text::bigint = ANY (%(xids)s::bigint[])
UNION SELECT 'pg_class', attrelid FROM pg_attribute WHERE xmin::text::bigint = ANY (%(xids)s::bigint[])
UNION SELECT 'pg_proc', oid FROM pg_proc WHERE xmin::text::bigint = ANY (%(xids)s::bigint[])
UNION SELECT 'pg_type', oid FROM pg_type WHERE xmin::text::bigint = ANY (%(xids)s::bigint[])
UNION SELECT 'pg_namespace', oid FROM pg_namespace WHERE xmin::text::bigint = ANY (%(xids)s::bigint[])
