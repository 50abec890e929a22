-- A log table created by schemadb 0.1 gains what later versions record: lock attempts and waits, notes
-- (allowed lint findings, --no-lint, blockers), and runs closed by `schemadb repair`.
ALTER TABLE {log}
    ADD COLUMN IF NOT EXISTS lock_attempts integer,
    ADD COLUMN IF NOT EXISTS lock_wait_ms integer,
    ADD COLUMN IF NOT EXISTS notes jsonb,
    DROP CONSTRAINT IF EXISTS {old_outcome_check},
    ADD CONSTRAINT {log_outcome_check} CHECK (outcome IN ('ok', 'failed', 'running', 'closed'));
