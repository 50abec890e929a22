-- schemadb:no-transaction
-- written by: schemadb new tasks_organization_id --template add-column --set table=core.tasks --set column=organization_id --set type=uuid --set 'backfill=(SELECT p.organization_id FROM core.projects p WHERE p.id = tasks.project_id)' --set not_null=true --set batch_size=5000
-- 0021 tasks_organization_id: core.tasks carries its project's organization, so that the policy of core.tasks can
-- name the organization and an index can lead with it (0027, 0030). Reference schema of schemadb. Fixes forward 0008.
--
-- Before: the tasks policy knew only project ids. The agents' queue (the next pending task of a type, oldest of the
-- highest priority first) walked the shared index through every other tenant's backlog: 385 rows of other
-- organizations read for one row of its own on the benchmark data (3.8 x the owner's time). The column is kept
-- by a trigger, never by the application: on insert and on any change of project_id or organization_id it is set
-- to the project's organization (what a caller sends is overwritten), and the foreign key of 0025 holds it there.
--
-- Written by the add-column template, then the trigger added between the column and the backfill, so that the
-- rows written while the backfill runs get their organization too. Each statement commits on its own: the column
-- (nullable, so no rewrite), the trigger, the updated_at and audit triggers told to pass it by, then the existing
-- rows in batches.
ALTER TABLE core.tasks ADD COLUMN organization_id uuid;
CREATE FUNCTION core.tasks_set_organization() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- the project's organization, whoever asks (the caller may not see the project: the policy then refuses the row)
    NEW.organization_id := (SELECT p.organization_id FROM core.projects p WHERE p.id = NEW.project_id);
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION core.tasks_set_organization() FROM PUBLIC;
CREATE TRIGGER trg_tasks_set_organization BEFORE INSERT OR UPDATE OF project_id, organization_id ON core.tasks
    FOR EACH ROW EXECUTE FUNCTION core.tasks_set_organization();
-- The column is derived, not a change of the task: writing it neither touches updated_at nor writes an audit row
-- (without this the backfill would mark every task updated now and log a million rows). Each trigger is replaced
-- in one statement, so no update goes without it meanwhile.
CREATE OR REPLACE TRIGGER trg_tasks_updated_at BEFORE UPDATE ON core.tasks
    FOR EACH ROW WHEN ((to_jsonb(OLD.*) - 'organization_id') IS DISTINCT FROM (to_jsonb(NEW.*) - 'organization_id'))
    EXECUTE FUNCTION core.set_updated_at();
CREATE OR REPLACE TRIGGER trg_tasks_audit AFTER INSERT OR UPDATE OR DELETE ON core.tasks
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change('ignore=progress_percentage,organization_id');
-- Existing rows, in batches of at most about 5000 rows (by ranges of pages, so each batch reads
-- only its own pages), each batch committed on its own, and made smaller while a batch takes longer than 100 ms
-- (triggers, indexes, a busy server): the table stays writable, a writer that needs a row of the batch waits
-- about 100 ms at most, and an interrupted run resumes with the rows still to do.
DO $schemadb$
DECLARE
    v_last bigint := pg_relation_size('core.tasks'::regclass) / current_setting('block_size')::bigint;
    v_most bigint;
    v_step bigint;
    v_from bigint := 0;
    v_began timestamptz;
    v_ms float8;
    v_left tid[];
BEGIN
    SELECT greatest(1, 5000 / greatest(1, CASE WHEN c.reltuples > 0 AND c.relpages > 0
                                              THEN (c.reltuples / c.relpages)::bigint ELSE 50 END))
      INTO v_most FROM pg_class c WHERE c.oid = 'core.tasks'::regclass;
    v_step := greatest(1, v_most / 8);   -- a cautious first batch, doubled while batches stay quick
    WHILE v_from <= v_last LOOP
        v_began := clock_timestamp();
        UPDATE core.tasks SET organization_id = (SELECT p.organization_id FROM core.projects AS p WHERE p.id = tasks.project_id)
         WHERE ctid >= format('(%s,0)', v_from)::tid AND ctid < format('(%s,0)', v_from + v_step)::tid
           AND (organization_id IS NULL);
        v_from := v_from + v_step;
        COMMIT;
        v_ms := greatest(1, 1000 * extract(epoch FROM clock_timestamp() - v_began));
        v_step := greatest(1, least(v_most, v_step * 2, (v_step * 100 / v_ms)::bigint));   -- pages for ~100 ms
    END LOOP;
    -- A row that a concurrent update rewrote onto a page already done (or past the last one) was not seen by the
    -- pass above: the rows still to do, found by what makes them so, a batch at a time until none is left. The
    -- rounds are bounded: if writes keep adding such rows, the next step (a validation) names them.
    FOR v_round IN 1..1000 LOOP
        v_left := ARRAY(SELECT ctid FROM core.tasks WHERE (organization_id IS NULL) LIMIT 5000);
        EXIT WHEN cardinality(v_left) = 0;
        UPDATE core.tasks SET organization_id = (SELECT p.organization_id FROM core.projects AS p WHERE p.id = tasks.project_id)
         WHERE ctid = ANY (v_left) AND (organization_id IS NULL);
        COMMIT;
    END LOOP;
END
$schemadb$;
