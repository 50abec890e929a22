-- 0015 partition_names_and_attach: monthly partitions get names that always fit (and never collide), are found
-- by their bounds, and are created without an ACCESS EXCLUSIVE lock on the parent (fixes forward 0002).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

-- An identifier of at most 63 bytes: <base><suffix>, or, when that is longer, the base cut to fit plus a short
-- hash of the whole base (as pg_partman shortens), so that two long tables never get the same partition name.
CREATE FUNCTION core.fit_identifier(p_base text, p_suffix text) RETURNS name
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_hash text := '_' || substr(md5(p_base), 1, 6);
    v_cut  text := p_base;
BEGIN
    IF octet_length(p_base || p_suffix) <= 63 THEN
        RETURN p_base || p_suffix;
    END IF;
    WHILE octet_length(v_cut || v_hash || p_suffix) > 63 LOOP
        v_cut := left(v_cut, -1);
    END LOOP;
    RETURN v_cut || v_hash || p_suffix;
END $$;
COMMENT ON FUNCTION core.fit_identifier(text, text) IS
    'An identifier of at most 63 bytes: base||suffix, or the base cut to fit plus a hash of it (no silent truncation)';

-- The one place that names a month's partition: <table>_yYYYYmMM, shortened with a hash when it would not fit.
CREATE FUNCTION core.monthly_partition_name(p_parent regclass, p_month date) RETURNS name
LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT core.fit_identifier(c.relname::text, '_y' || to_char(p_month, 'YYYY') || 'm' || to_char(p_month, 'MM'))
      FROM pg_class c WHERE c.oid = p_parent
$$;
COMMENT ON FUNCTION core.monthly_partition_name(regclass, date) IS
    'The name of the monthly partition of p_parent for p_month (what core.create_monthly_partition creates)';

-- The month (first day, UTC) each partition of p_parent starts at; NULL for the default partition.
CREATE FUNCTION core.partition_months(p_parent regclass)
RETURNS TABLE (partition regclass, month date, is_default boolean)
LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
    SELECT c.oid::regclass,
           CASE WHEN b.expr = 'DEFAULT' THEN NULL
                WHEN k.typ = 'date'::regtype THEN (regexp_match(b.expr, 'FROM \(''([^'']+)''\)'))[1]::date
                ELSE date_trunc('month', (regexp_match(b.expr, 'FROM \(''([^'']+)''\)'))[1]::timestamptz)::date END,
           b.expr = 'DEFAULT'
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS expr) b
     CROSS JOIN LATERAL (SELECT a.atttypid AS typ FROM pg_partitioned_table pt
                           JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
                          WHERE pt.partrelid = p_parent) k
     WHERE i.inhparent = p_parent
$$;
COMMENT ON FUNCTION core.partition_months(regclass) IS
    'The partitions of a monthly-partitioned table with the month each starts at (found by bounds, not names)';

-- Departures from 0002 (map §5.6), same signature and result:
-- * an existing partition is recognised by its bounds, whatever its name;
-- * the name comes from core.monthly_partition_name, which always fits;
-- * the month is created as a table of its own, filled with the rows that landed in the default partition, given
--   its bounds CHECK, and then attached: ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent, so inserts
--   into the parent's other months go on meanwhile (CREATE TABLE … PARTITION OF takes ACCESS EXCLUSIVE on it). The
--   default partition is held ACCESS EXCLUSIVE while ATTACH checks that it holds none of the month's rows (rows
--   were just moved out, so it scans only what is left there).
CREATE OR REPLACE FUNCTION core.create_monthly_partition(p_parent regclass, p_month date)
RETURNS regclass
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
DECLARE
    v_month   date := date_trunc('month', p_month)::date;
    v_from    text := to_char(v_month, 'YYYY-MM-DD') || ' 00:00:00+00';                        -- UTC bounds
    v_to      text := to_char((v_month + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00';
    v_schema  name;
    v_part    name;
    v_key     name;
    v_default regclass;
    v_found   regclass;
    v_columns text;
BEGIN
    SELECT n.nspname INTO v_schema
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = p_parent AND c.relkind = 'p';
    IF v_schema IS NULL THEN
        RAISE EXCEPTION '% is not a partitioned table', p_parent;
    END IF;
    SELECT pm.partition INTO v_found FROM core.partition_months(p_parent) pm WHERE pm.month = v_month;
    IF v_found IS NOT NULL THEN
        RETURN v_found;                                                                          -- idempotent
    END IF;
    v_part := core.monthly_partition_name(p_parent, v_month);

    SELECT a.attname INTO v_key
      FROM pg_partitioned_table pt
      JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = p_parent;
    SELECT nullif(pt.partdefid, 0)::regclass INTO v_default
      FROM pg_partitioned_table pt WHERE pt.partrelid = p_parent;

    EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING ALL)', v_schema, v_part, p_parent);
    IF v_default IS NOT NULL THEN                          -- rows that landed in the default partition move in
        SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum) INTO v_columns   -- generated ones
          FROM pg_attribute a                                                             -- are computed again
         WHERE a.attrelid = p_parent AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
        EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= %L::timestamptz AND %I < %L::timestamptz RETURNING *)
                        INSERT INTO %I.%I (%s) SELECT %s FROM moved',
                       v_default, v_key, v_from, v_key, v_to, v_schema, v_part, v_columns, v_columns);
    END IF;
    -- the bounds CHECK lets this ATTACH, and a later one into archive.*, skip the validation scan
    EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I CHECK (%I >= %L::timestamptz AND %I < %L::timestamptz)',
                   v_schema, v_part, core.fit_identifier(v_part, '_bounds'), v_key, v_from, v_key, v_to);
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                   p_parent, v_schema, v_part, v_from, v_to);
    RETURN format('%I.%I', v_schema, v_part)::regclass;
END $$;

REVOKE ALL ON FUNCTION core.monthly_partition_name(regclass, date), core.partition_months(regclass) FROM PUBLIC;
