INSERT INTO public.items VALUES (1, 'one');
ALTER TABLE public.items ADD COLUMN note text;
-- the next statement fails at run time: the server gives no position

    INSERT INTO public.items VALUES (1, 'again');
