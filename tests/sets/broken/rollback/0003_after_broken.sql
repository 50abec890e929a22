DROP TABLE public.b3;
