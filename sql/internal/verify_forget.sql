-- Empty the records of the last step. TRUNCATE, not DELETE: dead rows would make every later step slower.
TRUNCATE schemadb_verify.touched
