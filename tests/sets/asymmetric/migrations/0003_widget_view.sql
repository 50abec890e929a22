CREATE VIEW public.big_widgets AS SELECT * FROM public.widgets WHERE size > 10;
