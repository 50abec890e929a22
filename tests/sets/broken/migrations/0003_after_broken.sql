CREATE TABLE public.b3 (id int);
