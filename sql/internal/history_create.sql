-- schemadb's own bookkeeping tables; created by the runner (never by a migration), idempotently.
-- Placeholders are psycopg.sql identifiers: {history}, {log}, {log_version_idx}.
CREATE TABLE IF NOT EXISTS {history} (
    version           text PRIMARY KEY,
    name              text NOT NULL,
    checksum          text NOT NULL,
    rollback_checksum text,
    applied_at        timestamptz NOT NULL DEFAULT now(),
    applied_by        text NOT NULL DEFAULT format('%s (%s)', session_user, current_setting('application_name')),
    duration_ms       integer,
    transactional     boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE {history} IS 'schemadb: applied migrations (one row per version, written in the migration''s transaction)';
CREATE TABLE IF NOT EXISTS {log} (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           uuid NOT NULL,
    logged_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    action           text NOT NULL CHECK (action IN ('apply', 'rollback', 'baseline', 'repair')),
    version          text NOT NULL,
    name             text,
    checksum         text,
    outcome          text NOT NULL CONSTRAINT {log_outcome_check} CHECK (outcome IN ('ok', 'failed', 'running', 'closed')),
    duration_ms      integer,
    db_user          text NOT NULL DEFAULT session_user,
    application_name text NOT NULL DEFAULT current_setting('application_name'),
    client_addr      inet DEFAULT inet_client_addr(),
    transactional    boolean,
    statements_done  integer,
    statements_total integer,
    done_checksum    text,
    error            text,
    backup_file      text,
    lock_attempts    integer,
    lock_wait_ms     integer,
    notes            jsonb
);
COMMENT ON TABLE {log} IS 'schemadb: every apply, rollback, baseline and repair (the history of the history)';
CREATE INDEX IF NOT EXISTS {log_version_idx} ON {log} (version, id);
