-- 0009 agent_outputs_messages: agent outputs and the message bus (partitioned), message queue (map §2.7).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE TABLE core.agent_outputs (                          -- S2
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    agent_id    uuid        NOT NULL REFERENCES core.agents ON DELETE CASCADE,
    task_id     uuid        REFERENCES core.tasks ON DELETE SET NULL,
    output_type text        NOT NULL CHECK (output_type IN ('status','log','metric')),
    content     text        NOT NULL,
    metadata    jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_agent_outputs_agent        ON core.agent_outputs (agent_id, created_at DESC);
CREATE INDEX idx_agent_outputs_task         ON core.agent_outputs (task_id, created_at) WHERE task_id IS NOT NULL;
CREATE INDEX idx_agent_outputs_created_brin ON core.agent_outputs USING brin (created_at);
CREATE TABLE core.agent_outputs_default PARTITION OF core.agent_outputs DEFAULT;
SELECT core.ensure_monthly_partitions('core.agent_outputs');

CREATE TABLE core.agent_messages (                         -- S2 agent_messages; S1 messages
    id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at         timestamptz NOT NULL DEFAULT now(),  -- senders needing idempotency supply it (§3.1)
    organization_id    uuid        NOT NULL REFERENCES core.organizations ON DELETE CASCADE,
    message_id         text        NOT NULL,                -- protocol message id (S2)
    sender_type        text        NOT NULL CHECK (sender_type IN ('agent','user','system')),
    sender_agent_id    uuid        REFERENCES core.agents ON DELETE SET NULL,
    sender_user_id     uuid        REFERENCES core.users ON DELETE SET NULL,
    recipient_type     text        NOT NULL CHECK (recipient_type IN ('agent','user','broadcast')),   -- S2 destination_type
    recipient_agent_id uuid        REFERENCES core.agents ON DELETE SET NULL,
    recipient_user_id  uuid        REFERENCES core.users ON DELETE SET NULL,
    task_id            uuid        REFERENCES core.tasks ON DELETE SET NULL,   -- S1 "task linking"
    message_type       text        NOT NULL CHECK (message_type ~ '^[a-z][a-z0-9_.]*$'),
    priority           smallint    NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    payload            jsonb       NOT NULL DEFAULT '{}',
    correlation_id     text,
    requires_ack       boolean     NOT NULL DEFAULT false,
    ttl_seconds        integer     CHECK (ttl_seconds > 0),  -- S2 ttl
    retry_count        integer     NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries        integer     NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
    delivered_at       timestamptz,
    processed_at       timestamptz,
    ack_received_at    timestamptz,
    PRIMARY KEY (id, created_at),
    UNIQUE (message_id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_agent_messages_org          ON core.agent_messages (organization_id, created_at DESC);
CREATE INDEX idx_agent_messages_inbox        ON core.agent_messages (recipient_agent_id, created_at)
    WHERE processed_at IS NULL;                                                   -- S2 dest_unprocessed
CREATE INDEX idx_agent_messages_recipient    ON core.agent_messages (recipient_agent_id, created_at DESC)
    WHERE recipient_agent_id IS NOT NULL;
CREATE INDEX idx_agent_messages_sender       ON core.agent_messages (sender_agent_id, created_at DESC)
    WHERE sender_agent_id IS NOT NULL;
CREATE INDEX idx_agent_messages_task         ON core.agent_messages (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX idx_agent_messages_correlation  ON core.agent_messages (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX idx_agent_messages_created_brin ON core.agent_messages USING brin (created_at);
CREATE TABLE core.agent_messages_default PARTITION OF core.agent_messages DEFAULT;
SELECT core.ensure_monthly_partitions('core.agent_messages');

CREATE TABLE core.message_queue (                          -- S2: failed/delayed deliveries
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    message_id         uuid NOT NULL,
    message_created_at timestamptz NOT NULL,
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','processing','delivered','failed')),
    scheduled_for      timestamptz NOT NULL DEFAULT now(),
    attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (message_id, message_created_at),
    FOREIGN KEY (message_id, message_created_at) REFERENCES core.agent_messages (id, created_at) ON DELETE CASCADE
);
CREATE INDEX idx_message_queue_due ON core.message_queue (scheduled_for) WHERE status = 'pending';   -- S2

-- Triggers (map §5.4): updated_at maintained by core.set_updated_at(); audited tables log to audit.audit_logs.
CREATE TRIGGER trg_message_queue_updated_at BEFORE UPDATE ON core.message_queue
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();

-- Comments on every table (seed 004 style).
COMMENT ON TABLE core.agent_outputs IS 'Agent output stream (status, log, metric lines); monthly partitions';
COMMENT ON TABLE core.agent_messages IS 'Inter-agent message bus; monthly partitions, 30-day retention then archive';
COMMENT ON TABLE core.message_queue IS 'Delayed or failed message deliveries, claimed with FOR UPDATE SKIP LOCKED';
