INSERT INTO {history} (version, name, checksum, rollback_checksum, duration_ms, transactional)
VALUES ({version}, {name}, {checksum}, {rollback_checksum}, {duration_ms}, {transactional})
