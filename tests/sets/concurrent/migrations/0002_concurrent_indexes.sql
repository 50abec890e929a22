-- schemadb:no-transaction
CREATE INDEX CONCURRENTLY idx_events_kind ON public.events (kind);
CREATE INDEX CONCURRENTLY idx_events_payload ON public.events USING gin (payload jsonb_path_ops);
ALTER TYPE public.event_kind ADD VALUE IF NOT EXISTS 'deleted';
