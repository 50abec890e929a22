DROP TABLE public.orders;
DROP FUNCTION public.touch_updated_at();
