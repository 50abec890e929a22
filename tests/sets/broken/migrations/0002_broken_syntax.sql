-- 0002: the second statement has a syntax error at line 4, column 32
CREATE TABLE public.b1 (id int);

CREATE TABLE public.b2 (id int,, name text);
