UPDATE {log}
SET outcome = {outcome}, duration_ms = {duration_ms}, statements_done = {statements_done},
    done_checksum = {done_checksum}, error = {error}, logged_at = clock_timestamp()
WHERE id = {id}
