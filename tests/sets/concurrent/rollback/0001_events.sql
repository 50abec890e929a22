DROP TABLE public.events;
DROP TYPE public.event_kind;
