SELECT version, name, checksum, rollback_checksum, applied_at, applied_by, duration_ms, transactional
FROM {history}
