-- The type of this name (an enum or a domain), NULL when there is none.
SELECT pg_catalog.to_regtype(%s);
