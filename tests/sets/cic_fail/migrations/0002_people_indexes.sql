-- schemadb:no-transaction
CREATE INDEX CONCURRENTLY idx_people_city ON public.people (city);
CREATE UNIQUE INDEX CONCURRENTLY idx_people_email ON public.people (email);
CREATE INDEX CONCURRENTLY idx_people_city_email ON public.people (city, email);
