-- forgets the function and the old default
DROP INDEX public.idx_widgets_size;
