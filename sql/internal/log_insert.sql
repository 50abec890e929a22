INSERT INTO {log} (run_id, action, version, name, checksum, outcome, duration_ms, transactional,
                   statements_done, statements_total, done_checksum, error, backup_file,
                   lock_attempts, lock_wait_ms, notes)
VALUES ({run_id}, {action}, {version}, {name}, {checksum}, {outcome}, {duration_ms}, {transactional},
        {statements_done}, {statements_total}, {done_checksum}, {error}, {backup_file},
        {lock_attempts}, {lock_wait_ms}, {notes})
RETURNING id
