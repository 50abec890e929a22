CREATE FUNCTION public.widget_area(s int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT s * s';
ALTER TABLE public.widgets ALTER COLUMN size SET DEFAULT 2;
CREATE INDEX idx_widgets_size ON public.widgets (size);
