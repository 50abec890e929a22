-- What the last step touched: the event triggers' records (verify_forget.sql then empties the table; steps
-- are sequential, so nothing is recorded in between).
SELECT classid::regclass::text, objid, objsubid, dropped, xid FROM schemadb_verify.touched
