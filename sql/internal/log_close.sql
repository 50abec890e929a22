UPDATE {log} SET outcome = 'closed', logged_at = clock_timestamp() WHERE id = {id} AND outcome <> 'ok'
