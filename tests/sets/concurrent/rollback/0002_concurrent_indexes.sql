-- schemadb:no-transaction
DROP INDEX CONCURRENTLY public.idx_events_payload;
DROP INDEX CONCURRENTLY public.idx_events_kind;
