-- Leave a scratch database that verify did not create as it would be without verify's tracking.
DROP EVENT TRIGGER IF EXISTS schemadb_verify_ddl;
DROP EVENT TRIGGER IF EXISTS schemadb_verify_drop;
DROP SCHEMA IF EXISTS schemadb_verify CASCADE;
