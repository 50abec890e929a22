"""Triggers of the reference schema: updated_at, task transitions, complexity, cycles, agent history, audit."""

import psycopg
import pytest
from psycopg import sql

DEMO = "de000000-0000-4000-8000-0000000000"
ORG, ALICE, PROJECT = DEMO + "01", DEMO + "11", DEMO + "21"


def new_task(conn, title="t", **cols) -> str:
    cols = {"project_id": PROJECT, "title": title, **cols}
    q = sql.SQL("INSERT INTO core.tasks ({}) VALUES ({}) RETURNING id::text").format(
        sql.SQL(", ").join(map(sql.Identifier, cols)), sql.SQL(", ").join(sql.Placeholder() * len(cols)))
    return conn.execute(q, list(cols.values())).fetchone()[0]


def test_updated_at_moves_on_update_but_not_on_a_no_op(ref):
    ref.execute("SET session_replication_role = replica")  # backdate without the trigger
    ref.execute("UPDATE core.projects SET updated_at = now() - interval '1 day' WHERE id = %s", (PROJECT,))
    ref.execute("SET session_replication_role = origin")
    old = ref.execute("SELECT updated_at FROM core.projects WHERE id = %s", (PROJECT,)).fetchone()[0]
    ref.execute("UPDATE core.projects SET name = name WHERE id = %s", (PROJECT,))  # no change: no bump
    assert ref.execute("SELECT updated_at FROM core.projects WHERE id = %s", (PROJECT,)).fetchone()[0] == old
    ref.execute("UPDATE core.projects SET description = 'changed' WHERE id = %s", (PROJECT,))
    new = ref.execute("SELECT updated_at FROM core.projects WHERE id = %s", (PROJECT,)).fetchone()[0]
    assert (new - old).total_seconds() > 80000


def test_invalid_transition_names_both_states(ref):
    t = new_task(ref)
    with pytest.raises(psycopg.errors.CheckViolation) as e:
        ref.execute("UPDATE core.tasks SET status = 'completed' WHERE id = %s", (t,))
    assert e.value.diag.message_primary == "invalid task status transition from pending to completed"
    with pytest.raises(psycopg.errors.CheckViolation) as e:
        ref.execute("UPDATE core.tasks SET status = 'assigned' WHERE id = %s", (t,))
    assert "cannot be assigned without assigned_agent_id" in e.value.diag.message_primary
    ref.execute("UPDATE core.tasks SET status = 'cancelled' WHERE id = %s", (t,))
    with pytest.raises(psycopg.errors.CheckViolation) as e:  # terminal
        ref.execute("UPDATE core.tasks SET status = 'pending' WHERE id = %s", (t,))
    assert e.value.diag.message_primary == "invalid task status transition from cancelled to pending"


def test_valid_chain_sets_and_clears_timestamps(ref):
    t = new_task(ref, assigned_agent_id=DEMO + "35")
    ref.execute("UPDATE core.tasks SET title = 'renamed' WHERE id = %s", (t,))  # same status: allowed
    for status in ("assigned", "in_progress"):
        ref.execute("UPDATE core.tasks SET status = %s WHERE id = %s", (status, t))
    started, completed = ref.execute("SELECT started_at, completed_at FROM core.tasks WHERE id = %s", (t,)).fetchone()
    assert started is not None and completed is None
    ref.execute("UPDATE core.tasks SET status = 'failed' WHERE id = %s", (t,))
    assert ref.execute("SELECT completed_at FROM core.tasks WHERE id = %s", (t,)).fetchone()[0] is not None
    ref.execute("UPDATE core.tasks SET status = 'pending' WHERE id = %s", (t,))  # retry clears both
    assert ref.execute("SELECT started_at, completed_at FROM core.tasks WHERE id = %s", (t,)).fetchone() == (None, None)
    for status in ("assigned", "in_progress", "completed"):
        ref.execute("UPDATE core.tasks SET status = %s WHERE id = %s", (status, t))
    started, completed = ref.execute("SELECT started_at, completed_at FROM core.tasks WHERE id = %s", (t,)).fetchone()
    assert started is not None and completed >= started


def test_all_36_transition_pairs(ref):
    allowed = {("pending", "assigned"), ("pending", "cancelled"), ("assigned", "in_progress"),
               ("assigned", "failed"), ("assigned", "cancelled"), ("assigned", "pending"),
               ("in_progress", "completed"), ("in_progress", "failed"), ("in_progress", "cancelled"),
               ("failed", "pending")}
    states = ["pending", "assigned", "in_progress", "completed", "failed", "cancelled"]
    for a in states:
        for b in states:
            t = new_task(ref, status=a, assigned_agent_id=DEMO + "35")
            try:
                with ref.transaction():
                    ref.execute("UPDATE core.tasks SET status = %s WHERE id = %s", (b, t))
                ok = True
            except psycopg.errors.CheckViolation:
                ok = False
            assert ok == (a == b or (a, b) in allowed), (a, b)


def test_complexity_filled_from_task_type(ref):
    t = new_task(ref, task_type="security_analysis")
    assert ref.execute("SELECT complexity FROM core.tasks WHERE id = %s", (t,)).fetchone()[0] == 7
    t = new_task(ref, task_type="security_analysis", complexity=2)
    assert ref.execute("SELECT complexity FROM core.tasks WHERE id = %s", (t,)).fetchone()[0] == 2


def test_dependency_cycles_are_rejected(ref):
    # demo: 76 depends on 75, 77 depends on 76; 75 depending on 77 would close a cycle
    with pytest.raises(psycopg.errors.CheckViolation) as e:
        ref.execute("INSERT INTO core.task_dependencies (project_id, task_id, depends_on_task_id) VALUES (%s, %s, %s)",
                    (PROJECT, DEMO + "75", DEMO + "77"))
    assert e.value.diag.message_primary.startswith("task dependency cycle: ")
    with pytest.raises(psycopg.errors.CheckViolation):  # a task may not depend on itself
        ref.execute("INSERT INTO core.task_dependencies (project_id, task_id, depends_on_task_id) VALUES (%s, %s, %s)",
                    (PROJECT, DEMO + "75", DEMO + "75"))
    ref.execute("INSERT INTO core.task_dependencies (project_id, task_id, depends_on_task_id) VALUES (%s, %s, %s)",
                (PROJECT, DEMO + "77", DEMO + "75"))  # a diamond is not a cycle


def test_agent_status_changes_are_recorded(ref):
    ref.execute("SELECT set_config('app.status_reason', 'heartbeat lost', false)")
    ref.execute("UPDATE core.agents SET status = 'offline' WHERE id = %s", (DEMO + "35",))
    rows = ref.execute("SELECT previous_status, new_status, reason FROM core.agent_status_history"
                       " WHERE agent_id = %s ORDER BY created_at, previous_status NULLS FIRST", (DEMO + "35",)).fetchall()
    assert rows == [(None, "online", None), ("online", "offline", "heartbeat lost")]


def audit_rows(conn, resource_id):
    return conn.execute(
        "SELECT action, user_id::text, changed_fields, old_values, new_values, db_role, resource_type"
        " FROM audit.audit_logs WHERE resource_id = %s ORDER BY created_at, transaction_id", (resource_id,)).fetchall()


def test_audited_insert_update_delete_with_acting_user(ref):
    ref.execute("SELECT set_config('app.current_user_id', %s, false), set_config('app.current_org_id', %s, false)",
                (ALICE, ORG))
    pid = ref.execute("INSERT INTO core.plans (project_id, title) VALUES (%s, 'Audited') RETURNING id::text",
                      (PROJECT,)).fetchone()[0]
    ref.execute("UPDATE core.plans SET title = 'Audited 2', priority = 9 WHERE id = %s", (pid,))
    ref.execute("UPDATE core.plans SET title = title WHERE id = %s", (pid,))  # no-op: no audit row
    ref.execute("DELETE FROM core.plans WHERE id = %s", (pid,))
    rows = audit_rows(ref, pid)
    assert [r[0] for r in rows] == ["insert", "update", "delete"]
    assert {r[1] for r in rows} == {ALICE} and {r[5] for r in rows} == {"postgres"} and rows[0][6] == "core.plans"
    ins, upd, dele = rows
    assert ins[4]["title"] == "Audited" and ins[3] is None
    assert upd[2] == ["priority", "title"]
    assert upd[3] == {"priority": 5, "title": "Audited"} and upd[4] == {"priority": 9, "title": "Audited 2"}
    assert dele[3]["title"] == "Audited 2" and dele[4] is None


def test_audit_redacts_and_ignores(ref):
    ref.execute("UPDATE core.users SET password_hash = 'secret-hash' WHERE id = %s", (ALICE,))
    ref.execute("UPDATE core.users SET last_login_at = now() WHERE id = %s", (ALICE,))  # ignored column only
    rows = audit_rows(ref, ALICE)
    updates = [r for r in rows if r[0] == "update"]
    assert len(updates) == 1
    assert updates[0][2] == ["password_hash"] and updates[0][4] == {"password_hash": "[redacted]"}
    assert "secret-hash" not in str(rows)
