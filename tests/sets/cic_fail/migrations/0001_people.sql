CREATE TABLE public.people (id int PRIMARY KEY, email text NOT NULL, city text);
INSERT INTO public.people VALUES (1, 'a@example.com', 'Oslo'), (2, 'a@example.com', 'Rome'), (3, 'c@example.com', 'Oslo');
