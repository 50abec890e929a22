DROP TABLE public.widgets;
