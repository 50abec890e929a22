-- schemadb:no-transaction
DROP INDEX CONCURRENTLY public.idx_people_city_email;
DROP INDEX CONCURRENTLY public.idx_people_email;
DROP INDEX CONCURRENTLY public.idx_people_city;
