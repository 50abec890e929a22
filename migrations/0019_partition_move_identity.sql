-- 0019 partition_move_identity: moving rows out of the default partition keeps their identity values.
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction. Fixes forward 0015.
--
-- Before: core.create_monthly_partition moved the rows of the default partition into the new month with a plain
-- INSERT, which PostgreSQL refuses (428C9) for a table with a GENERATED ALWAYS identity column, even when there is
-- no row to move: `schemadb partitions ensure` failed on every such table (the create-partitioned-table template
-- writes one). OVERRIDING SYSTEM VALUE keeps the moved rows' ids, as a move must; it changes nothing for a table
-- without an identity column.

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
          FROM pg_attribute a                                                             -- are computed again;
                                                                     -- identity values move as they are
         WHERE a.attrelid = p_parent AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
        EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= %L::timestamptz AND %I < %L::timestamptz RETURNING *)
                        INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM moved',
                       v_default, v_key, v_from, v_key, v_to, v_schema, v_part, v_columns, v_columns);
    END IF;
    -- the bounds CHECK lets this ATTACH, and a later one into archive.*, skip the validation scan
    EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I CHECK (%I >= %L::timestamptz AND %I < %L::timestamptz)',
                   v_schema, v_part, core.fit_identifier(v_part, '_bounds'), v_key, v_from, v_key, v_to);
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                   p_parent, v_schema, v_part, v_from, v_to);
    RETURN format('%I.%I', v_schema, v_part)::regclass;
END $$;
