DROP TABLE public.people;
