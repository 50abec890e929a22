ALTER TABLE public.items DROP COLUMN note;
-- schemadb:allow backfill-in-ddl-transaction items holds the few rows this migration inserted
DELETE FROM public.items;
