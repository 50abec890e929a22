SELECT id, run_id, logged_at, action, version, name, outcome, duration_ms, db_user, application_name,
       statements_done, statements_total, error, backup_file
FROM {log}
ORDER BY id DESC
LIMIT {limit}
