DROP TABLE public.b2;
DROP TABLE public.b1;
