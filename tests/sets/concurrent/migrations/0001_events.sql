CREATE TYPE public.event_kind AS ENUM ('created', 'updated');
CREATE TABLE public.events (id bigint PRIMARY KEY, kind public.event_kind NOT NULL, payload jsonb NOT NULL DEFAULT '{}');
INSERT INTO public.events SELECT g, 'created', jsonb_build_object('n', g) FROM generate_series(1, 1000) g;
