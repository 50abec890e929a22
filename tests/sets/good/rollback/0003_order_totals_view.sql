DROP VIEW public.order_totals;
