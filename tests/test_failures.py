"""Every expected failure: one clear line naming the culprit, the documented exit code,
no traceback, and nothing half-applied."""

import json

import psycopg
import pytest

from schemadb import _localpg

from conftest import make_dsn, one_error_line


def tables(db):
    return {r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_syntax_error_names_file_line_column_and_sqlstate(run, project, db):
    d = project("broken")
    r = run(d)("migrate")  # the lint of the pending files finds it before anything runs
    assert r.exit_code == 3
    assert "migrations/0002_broken_syntax.sql:4:32: syntax-error: syntax error at or near \",\"" in r.stderr
    assert "accounts" not in tables(db)  # 0001 did not run either
    r = run(d)("migrate", "--no-lint")  # and the server, when the lint is skipped
    assert r.exit_code == 1
    line = one_error_line(r)
    assert "apply 0002 broken_syntax failed" in line
    assert "migrations/0002_broken_syntax.sql:4:32: [42601] syntax error at or near \",\"" in line
    assert "applied before the failure: 0001" in r.stdout
    # the failing migration left nothing: b1 (its first statement) is gone, 0003 never ran
    assert "b1" not in tables(db) and "b3" not in tables(db) and "accounts" in tables(db)
    assert db.execute("SELECT array_agg(version ORDER BY version) FROM schema_migrations").fetchone()[0] == ["0001"]
    failed = db.execute("SELECT version, outcome, error FROM schema_migrations_log WHERE outcome = 'failed'").fetchall()
    assert len(failed) == 1 and failed[0][0] == "0002" and "0002_broken_syntax.sql:4:32" in failed[0][2]


def test_runtime_error_without_position_names_the_statement(run, project, db):
    r = run(project("runtime"))("migrate", "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert [a["version"] for a in doc["applied"]] == ["0001"]
    err = doc["error"]
    assert (err["line"], err["column"], err["sqlstate"]) == (5, 5, "23505")
    assert err["detail"] == "Key (id)=(1) already exists." and err["statement_index"] == 2
    assert err["file"].endswith("migrations/0002_duplicate_key.sql")
    # the first two statements of 0002 were rolled back with it
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    cols = {r[0] for r in db.execute("SELECT attname FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0")}
    assert "note" not in cols


def test_changed_file_refuses_migrate_until_repair(run, project, db):
    d = project("good")
    cli = run(d)
    cli("migrate", "--target", "0002")
    f = d / "migrations/0001_create_accounts.sql"
    f.write_text(f.read_text() + "\n-- reviewed edit\n")
    r = cli("migrate")
    assert r.exit_code == 3
    assert "0001_create_accounts.sql: changed since it was applied" in r.stderr
    assert "order_totals" not in {x[0] for x in db.execute("SELECT viewname FROM pg_views WHERE schemaname='public'")}
    assert cli("validate").exit_code == 3
    r = cli("repair")
    assert r.exit_code == 0 and "repaired 0001 create_accounts" in r.stdout
    assert cli("migrate").exit_code == 0
    assert db.execute("SELECT count(*) FROM schema_migrations_log WHERE action = 'repair'").fetchone()[0] == 1


def test_missing_rollback_refuses_everything(run, project, db):
    r = run(project("missing_rollback"))("migrate")
    assert r.exit_code == 3
    assert "no rollback file rollback/0002_orders_with_trigger.sql" in r.stderr
    assert tables(db) == set()


def test_malformed_names_refuse_with_each_named(run, project, db):
    r = run(project("malformed"))("migrate")
    assert r.exit_code == 3
    for name in ("2_too_short.sql", "0003-dashes.sql", "0004_CamelCase.sql"):
        assert name in r.stderr
    assert tables(db) == set()


def test_validate_lists_every_problem(run, project, db):
    d = project("good")
    cli = run(d)
    cli("migrate", "--target", "0002")
    (d / "migrations/0001_create_accounts.sql").write_text("SELECT 2;\n")
    (d / "migrations/0002_orders_with_trigger.sql").rename(d / "migrations/0009_moved.sql")
    (d / "migrations/0000_older.sql").write_text("SELECT 1;\n")
    (d / "rollback/0000_older.sql").write_text("SELECT 1;\n")
    (d / "migrations/0005_bad.sql").write_bytes(b"SELECT '\xff';")
    (d / "rollback/0005_bad.sql").write_text("SELECT 1;\n")
    (d / "migrations/0006_txn.sql").write_text("CREATE TABLE z (a int);\nCOMMIT;\n")
    (d / "rollback/0006_txn.sql").write_text("DROP TABLE z;\n")
    r = cli("validate", "--json")
    assert r.exit_code == 3
    kinds = sorted(p["kind"] for p in json.loads(r.stdout)["problems"])
    assert kinds == ["changed", "missing_file", "missing_migration", "missing_rollback", "not_utf8",
                     "out_of_order", "transaction_control"]
    assert run(project("good"))("validate", "--files-only").exit_code == 0


def test_no_dsn_is_a_usage_error(project):
    from conftest import Cli

    r = Cli(None, project("good"))("migrate")
    assert r.exit_code == 2
    assert one_error_line(r) == "schemadb: error: no database given: pass --dsn, or set SCHEMADB_DSN or DATABASE_URL"


def test_unreachable_server(project):
    from conftest import Cli

    port = _localpg.free_port()
    r = Cli(f"postgresql://bob:hunter22@127.0.0.1:{port}/db", project("good"))("migrate")
    assert r.exit_code == 2
    line = one_error_line(r)
    assert line.startswith(f"schemadb: error: cannot connect: bob@127.0.0.1:{port}/db:")
    assert "hunter22" not in r.output


def test_wait_retries_then_gives_up(project):
    import time

    from conftest import Cli

    port = _localpg.free_port()
    t = time.monotonic()
    r = Cli(f"postgresql://postgres@127.0.0.1:{port}/db", project("good"))("--wait", "1.5", "status")
    assert r.exit_code == 2 and time.monotonic() - t >= 1.4


def test_database_that_does_not_exist(project):
    from conftest import Cli

    r = Cli(make_dsn("no_such_database_xyz"), project("good"))("status")
    assert r.exit_code == 2
    assert one_error_line(r).startswith("schemadb: error: database does not exist:")


@pytest.fixture(scope="module")
def password_server():
    """A throwaway server that checks passwords (the shared one trusts everybody)."""
    import shutil
    import tempfile
    from pathlib import Path

    root = Path(tempfile.mkdtemp(prefix="schemadb-pw-"))  # under /tmp: the postgres user can reach it
    dsn = _localpg.start(root)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE ROLE carol LOGIN PASSWORD 'right-horse-battery'")
    hba = root / "data" / "pg_hba.conf"
    hba.write_text("local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT pg_reload_conf()")
    yield dsn.rsplit(":", 1)[1].split("/")[0]
    _localpg.stop(root)
    shutil.rmtree(root, ignore_errors=True)


def test_wrong_password_is_masked(password_server, project):
    from conftest import Cli

    port = password_server
    r = Cli(f"postgresql://carol:wrong-Stapler-77@127.0.0.1:{port}/postgres", project("good"))("status")
    assert r.exit_code == 2
    line = one_error_line(r)
    assert line.startswith("schemadb: error: authentication failed:") and "carol" in line
    assert "wrong-Stapler-77" not in r.output
    r = Cli(f"host=127.0.0.1 port={port} user=carol password=wrong-Stapler-77 dbname=postgres",
            project("good"))("status", "--json")
    assert r.exit_code == 2 and "wrong-Stapler-77" not in r.output
    # the right password works, and is never printed either
    r = Cli(f"postgresql://carol:right-horse-battery@127.0.0.1:{port}/postgres", project("good"))("status")
    assert r.exit_code == 0 and "right-horse-battery" not in r.output


def test_bad_option_values_are_usage_errors(run, project):
    cli = run(project("good"))
    assert cli("migrate", "--lock-timeout", "soon").exit_code == 2
    assert cli("migrate", "--history-table", "a.b.c").exit_code == 2
    assert cli("migrate", "--no-such-option").exit_code == 2
    assert cli("rollback", "--steps", "1", "--all").exit_code == 2
    assert cli("migrate", "--target", "abc").exit_code == 2
    assert cli("--dir", "/nonexistent", "status").exit_code == 2
