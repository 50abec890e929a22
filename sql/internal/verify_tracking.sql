-- `schemadb verify`'s own objects in its scratch database: event triggers that record every object each DDL
-- statement creates, alters or drops, so that a snapshot after each step looks again only at what the step
-- touched. Statements that name no object (GRANT, REVOKE, ALTER DEFAULT PRIVILEGES) record their transaction,
-- whose catalog rows are then found by their xmin. Needs a superuser (event triggers do).
CREATE SCHEMA schemadb_verify;
CREATE TABLE schemadb_verify.touched (
    classid  oid,
    objid    oid,
    objsubid integer,
    dropped  boolean NOT NULL,
    xid      bigint
);
CREATE FUNCTION schemadb_verify.on_ddl() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO schemadb_verify.touched
    SELECT c.classid, c.objid, c.objsubid, false,
           CASE WHEN c.classid IS NULL THEN txid_current() % 4294967296 END
      FROM pg_event_trigger_ddl_commands() c;
END $$;
CREATE FUNCTION schemadb_verify.on_drop() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO schemadb_verify.touched
    SELECT d.classid, d.objid, d.objsubid, true, NULL FROM pg_event_trigger_dropped_objects() d;
END $$;
CREATE EVENT TRIGGER schemadb_verify_ddl ON ddl_command_end EXECUTE FUNCTION schemadb_verify.on_ddl();
CREATE EVENT TRIGGER schemadb_verify_drop ON sql_drop EXECUTE FUNCTION schemadb_verify.on_drop();
ALTER EVENT TRIGGER schemadb_verify_ddl ENABLE ALWAYS;   -- also under session_replication_role = replica
ALTER EVENT TRIGGER schemadb_verify_drop ENABLE ALWAYS;
