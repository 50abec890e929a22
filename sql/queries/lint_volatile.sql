-- Which of these function names has a VOLATILE version (a default calling it rewrites the table on ADD COLUMN).
SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p WHERE p.proname = ANY (%s) AND p.provolatile = 'v';
