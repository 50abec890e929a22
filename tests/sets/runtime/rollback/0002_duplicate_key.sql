ALTER TABLE public.items DROP COLUMN note;
DELETE FROM public.items;
