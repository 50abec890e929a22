UPDATE {log}
SET outcome = {outcome}, duration_ms = {duration_ms}, statements_done = {statements_done},
    done_checksum = {done_checksum}, error = {error}, logged_at = clock_timestamp(),
    lock_attempts = coalesce({lock_attempts}, lock_attempts), lock_wait_ms = coalesce({lock_wait_ms}, lock_wait_ms),
    notes = coalesce(notes, '{{}}'::jsonb) || coalesce({notes}, '{{}}'::jsonb)
WHERE id = {id}
