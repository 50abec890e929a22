CREATE TABLE public.widgets (id int PRIMARY KEY, size int DEFAULT 1);
