DROP VIEW public.big_widgets;
