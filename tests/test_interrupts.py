"""Ctrl-C and kill -9 at random moments of real runs: nothing lost, nothing run twice, and the report
tells the truth (issue 9). Real processes, real signals, many tries."""

import random
import re
import signal
import time

import psycopg
from psycopg import sql

from conftest import Cli, spawn, write_set


def settle(db, timeout=30.0):
    """Wait until no schemadb backend is still working (a killed runner's server may finish its message)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = db.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'schemadb migrate%'"
                          " AND pid <> pg_backend_pid()").fetchone()[0]
        if not busy:
            return
        time.sleep(0.05)
    raise AssertionError("a schemadb backend is still running")


def no_transaction_set(root, n=600):
    """n pairs of statements: a table that cannot be created twice (42P07) and a row that would be
    duplicated if its INSERT ran twice."""
    body = ["-- schemadb:no-transaction", "CREATE TABLE public.seen (i int PRIMARY KEY);"]
    for i in range(n):
        body.append(sql.SQL("CREATE TABLE {} (a int);").format(sql.Identifier("public", f"t_{i}")).as_string(None))
        body.append(sql.SQL("INSERT INTO public.seen VALUES ({});").format(sql.Literal(i)).as_string(None))
    return write_set(root, {
        "migrations/0001_many_steps.sql": "\n".join(body) + "\n",
        "rollback/0001_many_steps.sql": "SELECT 1;\n",
    })


def test_interrupted_no_transaction_runs_never_repeat_a_committed_statement(tmp_path, dsn, db):
    n = 2000  # long enough for several interrupts on a fast machine
    d = no_transaction_set(tmp_path / "steps", n=n)
    rnd = random.Random(9)
    interrupts = 0
    for _attempt in range(30):
        proc = spawn(["migrate"], dsn, d)
        time.sleep(rnd.uniform(0.35, 1.0))
        sig = rnd.choice([signal.SIGINT, signal.SIGKILL, signal.SIGTERM])
        if proc.poll() is None:
            proc.send_signal(sig)
            interrupts += 1
        out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, err
        assert "42P07" not in err and "23505" not in err, err  # nothing ran twice
        if sig != signal.SIGKILL and proc.returncode == 1:
            assert "interrupted" in err, err
        settle(db)
        if db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] if db.execute(
                "SELECT to_regclass('schema_migrations')").fetchone()[0] else 0:
            break
    r = Cli(dsn, d)("migrate")
    assert r.exit_code == 0, r.output
    assert interrupts >= 3
    assert db.execute("SELECT count(*), count(DISTINCT i), min(i), max(i) FROM public.seen").fetchone() == (
        n, n, 0, n - 1)
    assert db.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 't\\_%'").fetchone()[0] == n
    failed = db.execute("SELECT error FROM schema_migrations_log WHERE outcome = 'failed'").fetchall()
    assert not [e for (e,) in failed if e and ("42P07" in e or "23505" in e)]


def transactional_set(root, n=40):
    files = {}
    for i in range(1, n + 1):
        t = sql.Identifier("public", f"s_{i}")
        files[f"migrations/{i:04d}_step_{i}.sql"] = sql.SQL(
            "CREATE TABLE {t} AS SELECT g FROM generate_series(1, 150000) g;\nCREATE INDEX ON {t} (g);\n"
        ).format(t=t).as_string(None)
        files[f"rollback/{i:04d}_step_{i}.sql"] = sql.SQL("DROP TABLE {};\n").format(t).as_string(None)
    return write_set(root, files)


def test_ctrl_c_reports_truthfully_what_committed(tmp_path, dsn, db):
    d = transactional_set(tmp_path / "tx")
    rnd = random.Random(4)
    checked = 0
    for _attempt in range(12):
        proc = spawn(["migrate"], dsn, d)
        time.sleep(rnd.uniform(0.3, 1.5))
        if proc.poll() is None:
            proc.send_signal(rnd.choice([signal.SIGINT, signal.SIGTERM]))
        out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, err
        settle(db)
        applied = {r[0] for r in db.execute("SELECT version FROM schema_migrations")} if db.execute(
            "SELECT to_regclass('schema_migrations')").fetchone()[0] else set()
        said_applied = set(re.findall(r"^applied (\d{4}) ", out, re.M))
        m = re.search(r"interrupted: applied ([\d, ]+|nothing) before the interrupt", err)
        if m and m.group(1) != "nothing":
            said_applied |= set(m.group(1).split(", "))
        rolled = re.search(r"apply (\d{4}) \S+ failed: .*interrupted; its changes were rolled back", err)
        for v in said_applied:
            assert v in applied, (v, out, err)  # never reported applied when it is not
        if rolled:
            v = rolled.group(1)
            assert v not in applied, (v, out, err)  # never reported rolled back when it committed
            assert db.execute("SELECT count(*) FROM schema_migrations_log WHERE version = %s AND outcome = 'failed'"
                              " AND error LIKE '%%interrupted%%'", (v,)).fetchone()[0] >= 1
            assert db.execute("SELECT to_regclass(%s) IS NULL", (f"public.s_{int(v)}",)).fetchone()[0]
            checked += 1
        if len(applied) == 40:
            break
    assert checked >= 2
    assert Cli(dsn, d)("migrate").exit_code == 0
    assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == 40


def test_ctrl_c_during_a_commit_time_trigger_rolls_back_and_says_so(tmp_path, dsn, db):
    d = write_set(tmp_path / "slow_commit", {
        "migrations/0001_slow_commit.sql":
            "CREATE TABLE public.sc (a int);\n"
            "CREATE FUNCTION public.sc_sleep() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$;\n"
            "CREATE CONSTRAINT TRIGGER sc_at_commit AFTER INSERT ON public.sc DEFERRABLE INITIALLY DEFERRED\n"
            "    FOR EACH ROW EXECUTE FUNCTION public.sc_sleep();\n"
            "INSERT INTO public.sc VALUES (1);\n",
        "rollback/0001_slow_commit.sql": "DROP TABLE public.sc;\nDROP FUNCTION public.sc_sleep();\n",
    })
    proc = spawn(["migrate"], dsn, d)
    deadline = time.monotonic() + 20
    while not db.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                         " AND application_name LIKE 'schemadb migrate%'").fetchone()[0]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "apply 0001 slow_commit failed" in err and "interrupted; its changes were rolled back" in err
    settle(db)
    assert db.execute("SELECT to_regclass('public.sc') IS NULL").fetchone()[0]
    assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == 0


def test_a_kill_between_commit_and_result_is_resolved_from_the_history(tmp_path, dsn, db):
    """The server finishes a message whose client was killed: the next run sees it applied, never re-runs it."""
    d = transactional_set(tmp_path / "k", n=3)
    proc = spawn(["migrate"], dsn, d)
    deadline = time.monotonic() + 20
    while not db.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                         " AND application_name LIKE 'schemadb migrate%' AND query LIKE '%s_2%'").fetchone()[0]:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.kill()
    proc.communicate(timeout=30)
    settle(db)
    done = [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert done in (["0001"], ["0001", "0002"])
    r = Cli(dsn, d)("migrate", "--json")
    assert r.exit_code == 0
    import json

    ran = [a["version"] for a in json.loads(r.stdout)["applied"]]
    assert ran == [v for v in ("0001", "0002", "0003") if v not in done]  # each exactly once in all


def test_progress_of_an_abandoned_file_does_not_block_a_new_one_and_repair_closes_it(tmp_path, dsn, db):
    d = write_set(tmp_path / "renamed", {
        "migrations/0001_first_try.sql": "-- schemadb:no-transaction\nCREATE TABLE public.r1 (a int);\n"
                                         "SELECT 1/0;\n",
        "rollback/0001_first_try.sql": "DROP TABLE public.r1;\n",
    })
    cli = Cli(dsn, d)
    r = cli("migrate")
    assert r.exit_code == 1 and "[22012]" in r.stderr
    # the team abandons that file and writes another under the same version
    (d / "migrations/0001_first_try.sql").unlink()
    (d / "rollback/0001_first_try.sql").unlink()
    (d / "migrations/0001_second_try.sql").write_text("-- schemadb:no-transaction\nCREATE TABLE public.r2 (a int);\n")
    (d / "rollback/0001_second_try.sql").write_text("DROP TABLE public.r2;\n")
    st = cli("status")
    assert "0001 first_try: an unfinished no-transaction apply (1 statement(s) ran" in st.stdout
    r = cli("validate")
    assert r.exit_code == 3 and "unfinished no-transaction apply" in r.stdout
    r = cli("migrate")  # the new file is not taken for the abandoned one
    assert r.exit_code == 0, r.output
    assert db.execute("SELECT to_regclass('public.r2') IS NOT NULL").fetchone()[0]
    r = cli("repair")
    assert r.exit_code == 0
    assert "closed the unfinished no-transaction apply of 0001 first_try (1 statement(s) had run)" in r.stdout
    assert cli("validate").exit_code == 0
    assert db.execute("SELECT outcome FROM schema_migrations_log WHERE name = 'first_try' AND action = 'apply'"
                      ).fetchone()[0] == "closed"


def test_statements_already_run_may_be_restarted_after_repair(tmp_path, dsn, db):
    d = write_set(tmp_path / "edited", {
        "migrations/0001_steps.sql": "-- schemadb:no-transaction\nCREATE TABLE public.e1 (a int);\nSELECT 1/0;\n",
        "rollback/0001_steps.sql": "DROP TABLE public.e1;\n",
    })
    cli = Cli(dsn, d)
    assert cli("migrate").exit_code == 1
    # the DBA undoes statement 1 by hand and rewrites the file
    psycopg.connect(dsn, autocommit=True).execute("DROP TABLE public.e1")
    (d / "migrations/0001_steps.sql").write_text("-- schemadb:no-transaction\nCREATE TABLE public.e1 (b int);\n")
    r = cli("migrate")
    assert r.exit_code == 3 and "already ran, and they were edited since" in r.stderr and "schemadb repair" in r.stderr
    assert cli("repair").exit_code == 0
    r = cli("migrate")
    assert r.exit_code == 0, r.output
    assert db.execute("SELECT attname FROM pg_attribute WHERE attrelid = 'public.e1'::regclass AND attnum = 1"
                      ).fetchone()[0] == "b"
