"""core.tasks carries its project's organization (0021-0030): filled for existing rows without touching them, kept
by a trigger, and used by the policy so that an agent's queue reads only its own organization's tasks."""

import psycopg
from test_rls import A, act_as


def test_the_backfill_fills_every_task_and_changes_nothing_else(run, dsn):
    cli = run(None)
    assert cli("migrate", "-q", "--target", "0020").exit_code == 0
    assert cli("seed", "--demo", "-q").exit_code == 0
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET session_replication_role = replica")  # backdated, as rows written long ago (trigger off)
        c.execute("UPDATE core.tasks SET updated_at = updated_at - interval '3 days'")
        c.execute("SET session_replication_role = origin")
        before = dict(c.execute("SELECT id, updated_at FROM core.tasks").fetchall())
        audit = c.execute("SELECT count(*) FROM audit.audit_logs WHERE resource_type = 'core.tasks'").fetchone()[0]
        r = cli("migrate", "-q")
        assert r.exit_code == 0, r.output
        assert dict(c.execute("SELECT id, updated_at FROM core.tasks").fetchall()) == before
        assert c.execute("SELECT count(*) FROM audit.audit_logs WHERE resource_type = 'core.tasks'").fetchone()[0] \
            == audit
        assert c.execute("SELECT count(*), count(*) FILTER (WHERE t.organization_id = p.organization_id)"
                         " FROM core.tasks t JOIN core.projects p ON p.id = t.project_id").fetchone() == (8, 8)
        # a later change of the task itself still marks it updated and is audited, with its organization
        tid = next(iter(before))
        c.execute("UPDATE core.tasks SET title = 'renamed' WHERE id = %s", (tid,))
        assert c.execute("SELECT updated_at > %s FROM core.tasks WHERE id = %s", (before[tid], tid)).fetchone()[0]
        assert c.execute("SELECT organization_id::text, changed_fields FROM audit.audit_logs"
                         " WHERE resource_type = 'core.tasks' AND resource_id = %s AND action = 'update'",
                         (str(tid),)).fetchall() == [(A + "01", ["title"])]


def test_an_agents_queue_reads_its_own_organizations_pending_tasks(ref):
    ref.execute("ANALYZE core.tasks")
    act_as(ref, "app_user", None, A + "01", agent=A + "35")
    ref.execute("SET enable_seqscan = off")  # the demo data set is tiny: ask for the index path the data would take
    plan = "\n".join(r[0] for r in ref.execute(
        "EXPLAIN SELECT id FROM core.tasks WHERE status = 'pending' AND agent_type = 'backend'"
        " ORDER BY priority DESC, created_at LIMIT 1"))
    ref.execute("RESET enable_seqscan")
    ref.execute("RESET ROLE")
    assert "idx_tasks_org_pending_by_type" in plan and "Index Cond: ((organization_id = $0)" in plan, plan
    assert "Sort" not in plan, plan
