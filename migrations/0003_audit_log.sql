-- 0003 audit_log: audit.audit_logs (partitioned: default partition, current month plus 3) and the generic audit trigger function (map §2.1, §5.5).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE TABLE audit.audit_logs (
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    organization_id uuid,                                   -- no FKs in audit (0.5)
    project_id      uuid,
    user_id         uuid,                                   -- app.current_user_id
    agent_id        uuid,                                   -- app.current_agent_id
    session_id      uuid,
    db_role         text        NOT NULL DEFAULT session_user,   -- login role; survives SECURITY DEFINER
    transaction_id  bigint      NOT NULL DEFAULT txid_current(), -- groups the rows of one transaction
    event_type      text        NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_.]*$'),  -- 'data_change' from the trigger
    action          text        NOT NULL,                   -- 'insert'/'update'/'delete' or an app verb ('login')
    resource_type   text,                                   -- 'core.tasks' (schema-qualified)
    resource_id     text,
    outcome         text        NOT NULL DEFAULT 'success'
                    CHECK (outcome IN ('success','failure','partial','blocked')),
    outcome_reason  text,
    old_values      jsonb,                                  -- delete: whole row; update: changed columns only
    new_values      jsonb,                                  -- insert: whole row; update: changed columns only
    changed_fields  text[],                                 -- update only
    details         jsonb       NOT NULL DEFAULT '{}',
    ip_address      inet,
    user_agent      text,
    request_id      text,
    correlation_id  text,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_audit_logs_org          ON audit.audit_logs (organization_id, created_at DESC);
CREATE INDEX idx_audit_logs_resource     ON audit.audit_logs (resource_type, resource_id, created_at DESC);
CREATE INDEX idx_audit_logs_user         ON audit.audit_logs (user_id, created_at DESC) WHERE user_id IS NOT NULL;
CREATE INDEX idx_audit_logs_agent        ON audit.audit_logs (agent_id, created_at DESC) WHERE agent_id IS NOT NULL;
CREATE INDEX idx_audit_logs_event_type   ON audit.audit_logs (event_type, created_at DESC);
CREATE INDEX idx_audit_logs_request      ON audit.audit_logs (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX idx_audit_logs_correlation  ON audit.audit_logs (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX idx_audit_logs_created_brin ON audit.audit_logs USING brin (created_at);
CREATE TABLE audit.audit_logs_default PARTITION OF audit.audit_logs DEFAULT;
SELECT core.ensure_monthly_partitions('audit.audit_logs');

CREATE FUNCTION audit.log_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_old     jsonb;
    v_new     jsonb;
    v_row     jsonb;
    v_redact  text[] := '{}';
    v_ignore  text[] := '{updated_at}';
    v_changed text[];
    v_arg     text;
    v_col     text;
BEGIN
    IF TG_NARGS > 0 THEN
        FOREACH v_arg IN ARRAY TG_ARGV LOOP
            IF v_arg LIKE 'redact=%' THEN
                v_redact := v_redact || string_to_array(substr(v_arg, 8), ',');
            ELSIF v_arg LIKE 'ignore=%' THEN
                v_ignore := v_ignore || string_to_array(substr(v_arg, 8), ',');
            ELSE
                RAISE EXCEPTION 'audit.log_row_change: bad trigger argument %', v_arg;
            END IF;
        END LOOP;
    END IF;

    IF TG_OP IN ('UPDATE', 'DELETE') THEN v_old := to_jsonb(OLD); END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN v_new := to_jsonb(NEW); END IF;
    v_row := coalesce(v_new, v_old);

    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO v_changed
          FROM jsonb_each(v_new) n
         WHERE n.value IS DISTINCT FROM v_old -> n.key
           AND n.key <> ALL (v_ignore);
        IF cardinality(v_changed) = 0 THEN
            RETURN NULL;                                   -- nothing worth recording
        END IF;
        SELECT jsonb_object_agg(key, value) INTO v_old FROM jsonb_each(v_old) WHERE key = ANY (v_changed);
        SELECT jsonb_object_agg(key, value) INTO v_new FROM jsonb_each(v_new) WHERE key = ANY (v_changed);
    END IF;

    FOREACH v_col IN ARRAY v_redact LOOP
        IF v_old ? v_col THEN v_old := jsonb_set(v_old, ARRAY[v_col], '"[redacted]"'); END IF;
        IF v_new ? v_col THEN v_new := jsonb_set(v_new, ARRAY[v_col], '"[redacted]"'); END IF;
    END LOOP;

    INSERT INTO audit.audit_logs (
        organization_id, project_id, user_id, agent_id, session_id,
        event_type, action, resource_type, resource_id,
        old_values, new_values, changed_fields, request_id, correlation_id)
    VALUES (
        coalesce(CASE WHEN TG_TABLE_SCHEMA = 'core' AND TG_TABLE_NAME = 'organizations'
                      THEN (v_row ->> 'id')::uuid END,
                 (v_row ->> 'organization_id')::uuid,
                 nullif(current_setting('app.current_org_id', true), '')::uuid),
        coalesce(CASE WHEN TG_TABLE_SCHEMA = 'core' AND TG_TABLE_NAME = 'projects'
                      THEN (v_row ->> 'id')::uuid END,
                 (v_row ->> 'project_id')::uuid),
        nullif(current_setting('app.current_user_id', true), '')::uuid,
        nullif(current_setting('app.current_agent_id', true), '')::uuid,
        nullif(current_setting('app.session_id', true), '')::uuid,
        'data_change',
        lower(TG_OP),
        TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME,
        v_row ->> 'id',
        v_old, v_new, v_changed,
        nullif(current_setting('app.request_id', true), ''),
        nullif(current_setting('app.correlation_id', true), ''));
    RETURN NULL;                                           -- AFTER trigger
END $$;
REVOKE ALL ON FUNCTION audit.log_row_change() FROM PUBLIC;

-- Comments on every table (seed 004 style).
COMMENT ON TABLE audit.audit_logs IS 'Audit trail of data changes (written by audit.log_row_change) and application events; monthly partitions';
