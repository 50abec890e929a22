"""Locks, retries, concurrent runners and killed runners, with real processes."""

import os
import signal
import threading
import time

import psycopg
import pytest

from schemadb.db import lock_key

from conftest import spawn, write_set

KEY = lock_key("migrate:public.schema_migrations")


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_lock_held_elsewhere_names_the_holder(run, project, dsn, db):
    holder = psycopg.connect(dsn, autocommit=True, application_name="dba-console")
    holder.execute("SELECT pg_advisory_lock(%s)", (KEY,))
    try:
        t = time.monotonic()
        r = run(project("good"))("migrate", "--lock-wait", "1s")
        assert r.exit_code == 2
        assert time.monotonic() - t >= 1.0
        pid = holder.info.backend_pid
        assert f"is held by pid {pid} (dba-console, user postgres" in r.stderr
        assert "gave up after 1s (--lock-wait)" in r.stderr
        assert db.execute("SELECT to_regclass('public.accounts')").fetchone()[0] is None
    finally:
        holder.close()


def test_waiting_runner_holds_no_snapshot_and_proceeds(project, dsn, db):
    holder = psycopg.connect(dsn, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (KEY,))
    proc = spawn(["migrate", "--lock-wait", "30s"], dsn, project("good"))
    try:
        def waiting():
            return db.execute("SELECT state, backend_xmin, xact_start FROM pg_stat_activity"
                              " WHERE application_name LIKE 'schemadb migrate%'").fetchall()
        wait_for(lambda: len(waiting()) == 1)
        samples = []
        for _ in range(20):
            samples += waiting()
            time.sleep(0.05)
        # between tries it sits idle, outside any transaction, with no snapshot: it cannot hold
        # back the lock holder's CREATE INDEX CONCURRENTLY
        assert not [s for s in samples if s[0] == "idle in transaction"]
        assert [s for s in samples if s[0] == "idle" and s[1] is None and s[2] is None]
        holder.execute("SELECT pg_advisory_unlock(%s)", (KEY,))
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "3 applied" in out
    finally:
        proc.kill()
        holder.close()


def test_lock_timeout_retries_then_fails(run, project, dsn, db):
    cli = run(project("good"))
    cli("migrate", "--target", "0001")
    blocker = psycopg.connect(dsn)
    blocker.execute("LOCK TABLE public.accounts IN ACCESS EXCLUSIVE MODE")
    try:
        t = time.monotonic()
        r = cli("migrate", "--lock-timeout", "200ms", "--retries", "2")
        assert r.exit_code == 1
        assert r.stdout.count("lock timeout in 0002") == 3  # the first attempt and two retries
        pid = blocker.info.backend_pid
        assert f"ShareRowExclusiveLock on public.accounts is held by pid {pid}" in r.stdout  # the FK of 0002
        assert "could not take its locks in 3 attempt(s)" in r.stderr and "(--retries 2)" in r.stderr
        assert f"pg_cancel_backend({pid})" in r.stderr
        assert time.monotonic() - t < 15
    finally:
        blocker.close()
    assert db.execute("SELECT to_regclass('public.orders')").fetchone()[0] is None
    assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == 1


def test_lock_timeout_retry_succeeds_when_blocker_leaves(run, project, dsn, db):
    cli = run(project("good"))
    cli("migrate", "--target", "0001")
    blocker = psycopg.connect(dsn)
    blocker.execute("LOCK TABLE public.accounts IN ACCESS EXCLUSIVE MODE")
    threading.Timer(0.6, blocker.commit).start()
    try:
        r = cli("migrate", "--lock-timeout", "150ms", "--retries", "8", "--json")
        assert r.exit_code == 0, r.output
    finally:
        time.sleep(0.7)
        blocker.close()
    import json

    applied = json.loads(r.stdout)["applied"]
    assert applied[0]["version"] == "0002" and applied[0]["attempts"] >= 2


@pytest.mark.parametrize("n,setname", [(2, "concurrent"), (8, "good")])
def test_runners_started_at_once_apply_each_migration_once(n, setname, project, dsn, db):
    d = project(setname)
    procs = [spawn(["migrate"], dsn, d) for _ in range(n)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * n, results
    expected = len(list((d / "migrations").glob("*.sql")))
    assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == expected
    assert db.execute("SELECT count(*), count(DISTINCT version) FROM schema_migrations_log"
                      " WHERE action = 'apply' AND outcome = 'ok'").fetchone() == (expected, expected)
    applied_lines = sum(out.count("\napplied ") + out.startswith("applied ") for out, _ in results)
    assert applied_lines == expected


def _kill_during(db, proc, query_like):
    wait_for(lambda: db.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s AND state = 'active'",
                                (query_like,)).fetchone()[0] == 1)
    pid = db.execute("SELECT pid FROM pg_stat_activity WHERE query LIKE %s", (query_like,)).fetchone()[0]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return pid


def test_killed_runner_leaves_before_or_after_never_between(tmp_path, dsn, db, run):
    d = write_set(tmp_path / "kill", {
        "migrations/0001_slow.sql": "CREATE TABLE public.k1 (a int);\nSELECT pg_sleep(1.5);\nCREATE TABLE public.k2 (a int);\n",
        "rollback/0001_slow.sql": "DROP TABLE public.k2;\nDROP TABLE public.k1;\n",
    })
    proc = spawn(["migrate"], dsn, d)
    backend = _kill_during(db, proc, "%pg_sleep(1.5)%")
    # a DBA (or a crash) ends the orphaned backend: its transaction rolls back
    db.execute("SELECT pg_terminate_backend(%s)", (backend,))
    wait_for(lambda: db.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone()[0] == 0)
    state = db.execute("SELECT to_regclass('public.k1') IS NOT NULL, to_regclass('public.k2') IS NOT NULL,"
                       " (SELECT count(*) FROM schema_migrations)").fetchone()
    assert state == (False, False, 0)  # as before
    r = run(d)("migrate")
    assert r.exit_code == 0, r.output
    assert db.execute("SELECT to_regclass('public.k2') IS NOT NULL").fetchone()[0]


def test_killed_runner_whose_server_finishes_the_message(tmp_path, dsn, db, run):
    d = write_set(tmp_path / "kill2", {
        "migrations/0001_slow.sql": "CREATE TABLE public.k1 (a int);\nSELECT pg_sleep(1);\nCREATE TABLE public.k2 (a int);\n",
        "rollback/0001_slow.sql": "DROP TABLE public.k2;\nDROP TABLE public.k1;\n",
    })
    proc = spawn(["migrate"], dsn, d)
    _kill_during(db, proc, "%pg_sleep(1)%")
    # the server had the whole message: it completes it, history row included (as after), and only then
    # finds its client gone
    wait_for(lambda: db.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1)%'"
                                " AND pid <> pg_backend_pid()").fetchone()[0] == 0)
    state = db.execute("SELECT to_regclass('public.k2') IS NOT NULL, (SELECT count(*) FROM schema_migrations)"
                       ).fetchone()
    assert state == (True, 1)
    r = run(d)("migrate")  # the next runner sees it applied: nothing runs twice
    assert r.exit_code == 0 and r.stdout.strip() == "nothing to migrate (current version 0001)"
    assert db.execute("SELECT count(*) FROM schema_migrations_log WHERE outcome = 'ok'").fetchone()[0] == 1


def test_killed_no_transaction_runner_resumes(tmp_path, dsn, db, run):
    d = write_set(tmp_path / "kill3", {
        "migrations/0001_steps.sql": "-- schemadb:no-transaction\nCREATE TABLE public.s1 (a int);\n"
                                     "SELECT pg_sleep(1.5);\nCREATE TABLE public.s2 (a int);\n",
        "rollback/0001_steps.sql": "DROP TABLE public.s2;\nDROP TABLE public.s1;\n",
    })
    proc = spawn(["migrate"], dsn, d)
    backend = _kill_during(db, proc, "%SELECT pg_sleep(1.5)%")
    db.execute("SELECT pg_terminate_backend(%s)", (backend,))
    wait_for(lambda: db.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone()[0] == 0)
    assert db.execute("SELECT to_regclass('public.s1') IS NOT NULL, to_regclass('public.s2') IS NOT NULL"
                      ).fetchone() == (True, False)
    r = run(d)("migrate")
    assert r.exit_code == 0, r.output
    assert "resuming 0001 steps at statement 2 of 3" in r.stdout
    assert db.execute("SELECT to_regclass('public.s2') IS NOT NULL").fetchone()[0]
