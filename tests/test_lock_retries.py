"""The lock-retry schedule against the blockers a real workload holds: an open reader, an open writer, a reader of a
partitioned table's default partition; the budget running out; the schedule's options from the command line and
the environment."""

import json
import threading
import time

import psycopg
import pytest

from conftest import Cli, one_error_line, spawn, write_set

TABLE = """CREATE TABLE public.a (id bigint PRIMARY KEY, v int);
INSERT INTO public.a SELECT g, g FROM generate_series(1, 1000) g;
"""


def a_project(tmp_path, second: str, rollback: str = "SELECT 1;\n"):
    return write_set(tmp_path / "p", {
        "migrations/0001_a.sql": TABLE, "rollback/0001_a.sql": "DROP TABLE public.a;\n",
        "migrations/0002_change.sql": second, "rollback/0002_change.sql": rollback})


def indexes(db, table="public.a"):
    return {r[0]: r[1] for r in db.execute(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = %s::regclass", (table,))}


def last_log(db, version="0002"):
    return db.execute("SELECT outcome, lock_attempts, lock_wait_ms, error FROM schema_migrations_log"
                      " WHERE version = %s ORDER BY id DESC LIMIT 1", (version,)).fetchone()


def ends_in(conn, seconds):
    """Commit the open transaction of `conn` after `seconds` (the blocker's work finishing)."""
    t = threading.Timer(seconds, conn.commit)
    t.start()
    return t


@pytest.fixture
def blocker(dsn):
    conns = []

    def open_(application_name="app-worker"):
        c = psycopg.connect(dsn, application_name=application_name)
        conns.append(c)
        return c
    yield open_
    for c in conns:
        c.close()


def test_open_reader_blocks_alter_until_it_ends(tmp_path, run, dsn, db, blocker):
    cli = run(a_project(tmp_path, "ALTER TABLE public.a ADD COLUMN c int;\n",
                        "ALTER TABLE public.a DROP COLUMN c;\n"))
    assert cli("migrate", "--target", "0001").exit_code == 0
    reader = blocker("report-job")
    reader.execute("SELECT count(*) FROM public.a")  # an open transaction holding ACCESS SHARE
    timer = ends_in(reader, 1.5)
    r = cli("migrate", "--json")
    timer.join()
    assert r.exit_code == 0, r.output
    applied = json.loads(r.stdout)["applied"][0]
    assert applied["version"] == "0002" and applied["attempts"] >= 3
    outcome, attempts, wait_ms, _ = last_log(db)
    assert outcome == "ok" and attempts == applied["attempts"] and wait_ms >= 1000
    assert db.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'a' AND column_name = 'c'"
                      ).fetchone()[0] == 1


def test_each_retry_line_names_the_blocker(tmp_path, run, db, blocker):
    cli = run(a_project(tmp_path, "ALTER TABLE public.a ADD COLUMN c int;\n", "ALTER TABLE public.a DROP COLUMN c;\n"))
    cli("migrate", "--target", "0001")
    reader = blocker("report-job")
    reader.execute("SELECT count(*) FROM public.a WHERE v > 0")
    timer = ends_in(reader, 1.2)
    r = cli("migrate")
    timer.join()
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if "lock timeout in 0002" in ln]
    assert len(lines) >= 2
    pid = reader.info.backend_pid
    assert f"AccessExclusiveLock on public.a is held by pid {pid} (report-job, user postgres, idle in transaction" \
        in lines[0]
    assert "SELECT count(*) FROM public.a WHERE v > 0" in lines[0]  # the start of its query
    assert "attempt 1, 100 ms" in lines[0] and "next attempt in" in lines[0]


def test_open_writer_blocks_concurrent_index_and_the_retry_succeeds(tmp_path, run, db, blocker):
    cli = run(a_project(tmp_path, "-- schemadb:no-transaction\nCREATE INDEX CONCURRENTLY a_v_idx ON public.a (v);\n",
                        "-- schemadb:no-transaction\nDROP INDEX CONCURRENTLY public.a_v_idx;\n"))
    cli("migrate", "--target", "0001")
    writer = blocker("order-writer")
    writer.execute("INSERT INTO public.a VALUES (100001, 1)")  # an open writer: CIC waits for it, after creating
    timer = ends_in(writer, 2.0)                                 # the index INVALID
    r = cli("migrate", "--json")
    timer.join()
    assert r.exit_code == 0, r.output
    assert indexes(db) == {"a_pkey": True, "a_v_idx": True}  # valid, and no INVALID leftover
    assert json.loads(r.stdout)["applied"][0]["attempts"] >= 2
    outcome, attempts, _, _ = last_log(db)
    assert outcome == "ok" and attempts >= 2


def test_budget_runs_out_behind_open_writer_named_and_recorded(tmp_path, run, db, blocker):
    cli = run(a_project(tmp_path, "-- schemadb:no-transaction\nCREATE INDEX CONCURRENTLY a_v_idx ON public.a (v);\n",
                        "-- schemadb:no-transaction\nDROP INDEX CONCURRENTLY public.a_v_idx;\n"))
    cli("migrate", "--target", "0001")
    writer = blocker("order-writer")
    writer.execute("INSERT INTO public.a VALUES (100001, 1)")
    t = time.monotonic()
    r = cli("migrate", "--lock-retry-for", "1500ms")
    assert r.exit_code == 1
    assert time.monotonic() - t < 10
    line = one_error_line(r)
    pid = writer.info.backend_pid
    assert f"pid {pid} (order-writer" in line and f"pg_cancel_backend({pid})" in line
    assert "--lock-retry-for" in line
    assert "nothing of it was applied" in line
    assert "left INVALID index public.a_v_idx; it is dropped before the retry" in line  # truthful about what is left
    outcome, attempts, wait_ms, error = last_log(db)
    assert outcome == "failed" and attempts >= 2 and wait_ms >= 1000 and f"pid {pid}" in error
    assert db.execute("SELECT count(*) FROM schema_migrations WHERE version = '0002'").fetchone()[0] == 0
    writer.commit()
    r = cli("migrate")  # the writer is gone: the INVALID index is dropped and built again
    assert r.exit_code == 0, r.output
    assert indexes(db) == {"a_pkey": True, "a_v_idx": True}


def test_budget_runs_out_behind_open_reader_nothing_half_applied(tmp_path, run, db, blocker):
    cli = run(a_project(tmp_path, "ALTER TABLE public.a ADD COLUMN c int;\nCREATE TABLE public.b (id int);\n",
                        "DROP TABLE public.b;\nALTER TABLE public.a DROP COLUMN c;\n"))
    cli("migrate", "--target", "0001")
    reader = blocker("report-job")
    reader.execute("SELECT 1 FROM public.a LIMIT 1")
    r = cli("migrate", "--lock-retry-for", "1s", "--lock-timeout", "150ms")
    assert r.exit_code == 1
    line = one_error_line(r)
    assert f"pid {reader.info.backend_pid} (report-job" in line and "rolled back, nothing of it was applied" in line
    assert db.execute("SELECT to_regclass('public.b')").fetchone()[0] is None
    assert db.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'a' AND column_name = 'c'"
                      ).fetchone()[0] == 0
    outcome, attempts, _, _ = last_log(db)
    assert outcome == "failed" and attempts >= 3


def test_reindex_concurrently_behind_open_writer_leaves_no_ccnew(tmp_path, run, db, blocker):
    cli = run(a_project(tmp_path, "-- schemadb:no-transaction\nREINDEX INDEX CONCURRENTLY public.a_pkey;\n"))
    cli("migrate", "--target", "0001")
    writer = blocker("order-writer")
    writer.execute("UPDATE public.a SET v = v + 1 WHERE id = 1")
    timer = ends_in(writer, 2.0)
    r = cli("migrate")
    timer.join()
    assert r.exit_code == 0, r.output
    assert indexes(db) == {"a_pkey": True}  # no INVALID a_pkey_ccnew left by a timed-out attempt


def test_schedule_options_from_the_command_line_and_the_environment(tmp_path, run, db, blocker):
    cli = run(a_project(tmp_path, "ALTER TABLE public.a ADD COLUMN c int;\n", "ALTER TABLE public.a DROP COLUMN c;\n"))
    cli("migrate", "--target", "0001")
    reader = blocker()
    reader.execute("SELECT 1 FROM public.a LIMIT 1")
    r = cli("migrate", "--retries", "2", "--json")  # --retries: the most attempts after the first
    assert r.exit_code == 1 and last_log(db)[1] == 3
    r = cli("migrate", env={"SCHEMADB_LOCK_RETRY_FOR": "700ms", "SCHEMADB_LOCK_TIMEOUT": "100ms"})
    assert r.exit_code == 1 and "(--lock-retry-for 700ms)" in one_error_line(r)
    attempts, wait_ms = last_log(db)[1:3]
    assert attempts >= 3 and 500 <= wait_ms < 3000
    lines = [ln for ln in r.stdout.splitlines() if "lock timeout in 0002" in ln]
    assert lines and all(", 100 ms;" in ln for ln in lines)  # the cap: no attempt longer than --lock-timeout
    for bad in (["--lock-retry-for", "soon"], ["--lock-timeout", "0"], ["--retries", "-1"]):
        r = cli("migrate", *bad)
        assert r.exit_code == 2, (bad, r.output)


def test_partitions_ensure_retries_behind_a_reader_of_the_default_partition(ref_dsn, ref, blocker):
    """ATTACH takes ACCESS EXCLUSIVE on the DEFAULT partition: a report reading the parent blocks it."""
    reader = psycopg.connect(ref_dsn, application_name="monthly-report")
    try:
        reader.execute("SELECT count(*) FROM metrics.performance_metrics")  # reads every partition, the default too
        cli = Cli(ref_dsn, None)
        r = cli("partitions", "ensure", "--table", "metrics.performance_metrics", "--ahead", "8",
                "--lock-retry-for", "1s")
        assert r.exit_code == 1, r.output
        assert f"pid {reader.info.backend_pid} (monthly-report" in one_error_line(r)
        before = ref.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'metrics.performance_metrics'::regclass"
                             ).fetchone()[0]
        threading.Timer(1.0, reader.commit).start()
        r = cli("partitions", "ensure", "--table", "metrics.performance_metrics", "--ahead", "8", "--json")
        assert r.exit_code == 0, r.output
        after = ref.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'metrics.performance_metrics'::regclass"
                            ).fetchone()[0]
        assert after > before
        assert ref.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'performance_metrics%' AND relkind = 'r'"
                           " AND NOT relispartition").fetchone()[0] == 0  # no table left unattached
    finally:
        reader.close()


def test_refresh_views_and_archive_retry_behind_a_blocker(ref_dsn, ref):
    holder = psycopg.connect(ref_dsn, application_name="dba-session")
    try:
        holder.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY metrics.project_task_stats")  # another refresh, open
        r = Cli(ref_dsn, None)("refresh-views", "--lock-retry-for", "800ms", "--lock-wait", "0")
        assert r.exit_code == 1, r.output
        assert f"pid {holder.info.backend_pid} (dba-session" in r.output
    finally:
        holder.close()


def test_a_waiting_reader_is_never_queued_longer_than_one_attempt(tmp_path, run, dsn, db, blocker):
    """What the application sees: a reader that arrives while the ALTER waits in the queue gets its row as soon as
    that attempt gives up (at most --lock-timeout), not when the long transaction ends."""
    cli = run(a_project(tmp_path, "ALTER TABLE public.a ADD COLUMN c int;\n", "ALTER TABLE public.a DROP COLUMN c;\n"))
    cli("migrate", "--target", "0001")
    long_tx = blocker("long-report")
    long_tx.execute("SELECT 1 FROM public.a LIMIT 1")
    proc = spawn(["migrate"], dsn, tmp_path / "p")  # the defaults
    try:
        app = psycopg.connect(dsn, autocommit=True)
        waits = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            t = time.monotonic()
            app.execute("SELECT v FROM public.a WHERE id = 1").fetchone()
            waits.append(time.monotonic() - t)
        long_tx.commit()
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        # the queue behind each attempt dissolves when it gives up: no read waits for the long transaction (3 s)
        assert max(waits) < 2.5
        app.close()
    finally:
        proc.kill()
