INSERT INTO {refreshes} (view_name, refreshed_at, duration_ms, was_concurrent)
VALUES ({view_name}, now(), {duration_ms}, {concurrently})
ON CONFLICT (view_name) DO UPDATE
   SET refreshed_at = excluded.refreshed_at, duration_ms = excluded.duration_ms, was_concurrent = excluded.was_concurrent
