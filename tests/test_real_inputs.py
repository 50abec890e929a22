"""Inputs nobody on the project wrote: other projects' histories, odd files, wrong targets (issue 9)."""

import json
import os

import psycopg
import pytest

from conftest import Cli, copy_set, one_error_line, write_set


def versions(db, table="schema_migrations"):
    return [r[0] for r in db.execute(f"SELECT version FROM {table} ORDER BY version")]  # noqa: S608


def history_exists(db) -> bool:
    return db.execute("SELECT to_regclass('public.schema_migrations') IS NOT NULL").fetchone()[0]


DIESEL_LIKE = {
    # Diesel's initial setup migration and popx's no-op files: comments only
    "migrations/0001_diesel_initial_setup.sql": "-- This file was automatically created by Diesel\n"
                                               "-- Sets up a few helper functions.\n",
    "rollback/0001_diesel_initial_setup.sql": "-- This file was automatically created by Diesel\n",
    "migrations/0002_create_posts.sql": "CREATE TABLE posts (id serial PRIMARY KEY, title text NOT NULL);\n",
    "rollback/0002_create_posts.sql": "DROP TABLE posts;\n",
    "migrations/0003_drop_legacy.sql": "DROP TABLE posts;\n",
    "rollback/0003_drop_legacy.sql": "-- not reversible: the data is gone\n",
    "migrations/0004_noop.sql": "",
    "rollback/0004_noop.sql": "",
    "migrations/0005_create_tags.sql": "CREATE TABLE tags (id serial PRIMARY KEY);\n",
    "rollback/0005_create_tags.sql": "DROP TABLE tags;\n",
}


def test_a_migration_with_no_statement_is_applied_and_recorded(tmp_path, dsn, db):
    d = write_set(tmp_path / "diesel", DIESEL_LIKE)
    r = Cli(dsn, d)("migrate")
    assert r.exit_code == 0, r.output
    assert versions(db) == ["0001", "0002", "0003", "0004", "0005"]
    log = db.execute("SELECT version, outcome FROM schema_migrations_log ORDER BY id").fetchall()
    assert log == [(v, "ok") for v in ("0001", "0002", "0003", "0004", "0005")]


def test_irreversible_rollback_refuses_and_names_the_target(tmp_path, dsn, db):
    d = write_set(tmp_path / "diesel", DIESEL_LIKE)
    cli = Cli(dsn, d)
    assert cli("migrate", "-q").exit_code == 0
    st = json.loads(cli("status", "--json").stdout)
    assert st["irreversible"] == ["0003"] and st["counts"]["irreversible"] == 1
    assert [m["version"] for m in st["migrations"] if m["irreversible"]] == ["0003"]
    r = cli("validate", "--json")  # reported, not a problem
    assert r.exit_code == 0 and json.loads(r.stdout)["irreversible"] == ["0003"]
    assert "irreversible: 0003" in cli("validate").stdout
    r = cli("rollback", "--steps", "2")  # 0005 and 0004 are fine: the plan stops short of 0003
    assert r.exit_code == 0, r.output
    r = cli("rollback", "--all", "--yes")
    assert r.exit_code == 3
    assert "0003 drop_legacy is irreversible (its rollback file has no statement)" in r.stderr
    assert "--target 0003" in r.stderr
    assert versions(db) == ["0001", "0002", "0003"]  # nothing changed
    assert cli("rollback", "--target", "0003", "--yes").exit_code == 0  # nothing newer: nothing to do


def test_a_pair_still_as_new_wrote_it_is_refused(tmp_path, dsn, db):
    d = copy_set("good", tmp_path)
    cli = Cli(dsn, d)
    r = cli("new", "add_invoices")
    assert r.exit_code == 0
    for args in (("validate", "--files-only"), ("migrate",)):
        r = cli(*args)
        assert r.exit_code == 3, r.output
        assert "0004_add_invoices.sql: still exactly what `schemadb new` wrote" in r.output
    assert not history_exists(db)
    # written, it runs; a rollback left as the placeholder is refused as well (never swallowed as irreversible)
    (d / "migrations/0004_add_invoices.sql").write_text("CREATE TABLE invoices (id int);\n")
    r = cli("migrate")
    assert r.exit_code == 3 and "rollback/0004_add_invoices.sql: still exactly what" in r.stderr
    (d / "rollback/0004_add_invoices.sql").write_text("DROP TABLE invoices;\n")
    assert cli("migrate").exit_code == 0


@pytest.mark.parametrize("no_tx", [False, True])
def test_a_file_that_drops_the_history_table_is_refused_before_anything_runs(tmp_path, dsn, db, no_tx):
    head = "-- schemadb:no-transaction\n" if no_tx else ""
    d = write_set(tmp_path / "legacy", {
        "migrations/0001_a.sql": "CREATE TABLE a (id int);\n",
        "rollback/0001_a.sql": "DROP TABLE a;\n",
        "migrations/0002_reset.sql": f"{head}CREATE TABLE b (id int);\nDROP TABLE IF EXISTS schema_migrations;\n",
        "rollback/0002_reset.sql": "DROP TABLE b;\n",
    })
    cli = Cli(dsn, d)
    r = cli("migrate")
    assert r.exit_code == 3
    line = one_error_line(r)
    assert "migrate refused" in line
    assert f"0002_reset.sql:{3 if no_tx else 2}: drops schemadb's own history table public.schema_migrations" in r.stderr
    assert "--history-table" in r.stderr
    assert db.execute("SELECT to_regclass('public.a') IS NULL AND to_regclass('public.b') IS NULL").fetchone()[0]
    # with a history table of its own, the project's history runs as written
    r = cli("migrate", "--history-table", "schemadb.history")
    assert r.exit_code == 0, r.output
    assert versions(db, "schemadb.history") == ["0001", "0002"]


def test_a_file_that_drops_the_history_table_dynamically_says_so_without_a_line(tmp_path, dsn, db):
    d = write_set(tmp_path / "dyn", {
        "migrations/0001_dyn.sql": "CREATE TABLE x (id int);\nDO $$ BEGIN EXECUTE 'DROP TABLE schema_migrations'; END $$;\n",
        "rollback/0001_dyn.sql": "DROP TABLE x;\n",
    })
    r = Cli(dsn, d)("migrate", "--json")
    assert r.exit_code == 1
    err = json.loads(r.stdout)["error"]
    assert err["line"] is None  # the failure was in schemadb's bookkeeping, not on a line of the file
    assert "recording it in schemadb's own history table public.schema_migrations failed" in err["message"]
    assert "nothing of it was applied" in err["message"] and "--history-table" in err["message"]
    assert db.execute("SELECT to_regclass('public.x') IS NULL").fetchone()[0]
    assert history_exists(db)  # the DROP was rolled back with the file


def test_dangling_symlinks_and_fifos_are_named_by_every_command(tmp_path, dsn, db):
    d = copy_set("good", tmp_path)
    os.symlink(tmp_path / "nowhere.sql", d / "migrations/0004_gone.sql")
    os.mkfifo(d / "rollback/0005_pipe.sql")
    cli = Cli(dsn, d)
    r = cli("status")  # reports them (and does not hang on the FIFO)
    assert r.exit_code == 0 and "problem: " in r.stdout and "0005_pipe.sql: not a regular file" in r.stdout
    for args in (("validate",), ("migrate",), ("rollback",), ("verify",)):
        r = cli(*args)
        assert r.exit_code == 3, (args, r.output)
        assert "0004_gone.sql: a dangling symbolic link" in r.output
        assert "0005_pipe.sql: not a regular file" in r.output
        assert "Traceback" not in r.output
    assert not history_exists(db)


def test_a_nul_byte_is_refused_with_its_line(tmp_path, dsn, db):
    d = write_set(tmp_path / "nul", {
        "migrations/0001_steps.sql": b"-- schemadb:no-transaction\nCREATE TABLE n1 (a int);\nSELECT 1;\x00\n"
                                     b"CREATE TABLE n2 (a int);\n",
        "rollback/0001_steps.sql": "DROP TABLE n2;\nDROP TABLE n1;\n",
    })
    r = Cli(dsn, d)("migrate")
    assert r.exit_code == 3
    assert "0001_steps.sql:3: contains a NUL byte" in r.stderr
    assert db.execute("SELECT to_regclass('public.n1') IS NULL").fetchone()[0]


def test_an_edited_rollback_file_is_reported_and_refused_until_repair(tmp_path, dsn, db):
    d = copy_set("good", tmp_path)
    cli = Cli(dsn, d)
    cli("migrate", "-q")
    f = d / "rollback/0003_order_totals_view.sql"
    f.write_text(f.read_text() + "-- reviewed\n")
    st = json.loads(cli("status", "--json").stdout)
    assert [m["version"] for m in st["migrations"] if m["rollback_changed"]] == ["0003"]
    assert "applied (rollback changed)" in cli("status").stdout
    r = cli("validate", "--json")
    assert r.exit_code == 3 and [p["kind"] for p in json.loads(r.stdout)["problems"]] == ["rollback_changed"]
    assert cli("migrate").exit_code == 0  # migrate is not held up by a rollback file
    r = cli("rollback")
    assert r.exit_code == 3 and "rollback/0003_order_totals_view.sql: changed since its migration" in r.stderr
    assert versions(db) == ["0001", "0002", "0003"]
    r = cli("repair")
    assert r.exit_code == 0 and "repaired 0003" in r.stdout
    assert cli("rollback").exit_code == 0 and versions(db) == ["0001", "0002"]


def test_a_history_table_name_whose_log_would_not_fit_is_refused(tmp_path, dsn, db):
    d = copy_set("good", tmp_path)
    r = Cli(dsn, d)("migrate", "--history-table", "h" * 60)
    assert r.exit_code == 2
    assert "its log table" in one_error_line(r) and "at most 59 bytes" in r.stderr
    assert Cli(dsn, d)("migrate", "-q", "--history-table", "H" * 59).exit_code == 0  # taken literally
    assert db.execute("SELECT count(*) FROM %s" % ('"' + "H" * 59 + '"')).fetchone()[0] == 3  # noqa: S608


def test_new_refuses_a_folder_it_cannot_write_and_writes_nothing(tmp_path, dsn):
    d = tmp_path / "p"
    d.mkdir()
    (d / "migrations").write_text("not a folder")
    r = Cli(dsn, d)("new", "x")
    assert r.exit_code == 2 and "migrations: not a folder; nothing was written" in one_error_line(r)
    (d / "migrations").unlink()
    (d / "migrations").mkdir()
    (d / "rollback").write_text("a file")
    r = Cli(dsn, d)("new", "x")
    assert r.exit_code == 2 and "rollback: not a folder; nothing was written" in one_error_line(r)
    assert list((d / "migrations").iterdir()) == []


def test_a_bad_redis_url_is_refused_before_anything_runs(tmp_path, dsn, db):
    d = copy_set("good", tmp_path)
    r = Cli(dsn, d)("migrate", env={"SCHEMADB_REDIS_URL": "localhost:6379"})
    assert r.exit_code == 2
    assert "SCHEMADB_REDIS_URL='localhost:6379' is not a Redis URL" in one_error_line(r)
    assert not history_exists(db)
    r = Cli(dsn, d)("health", env={"SCHEMADB_REDIS_URL": "localhost:6379"})
    assert r.exit_code == 1 and "FAIL redis: SCHEMADB_REDIS_URL='localhost:6379' is not a Redis URL" in r.stdout


def test_a_password_on_the_command_line_is_warned_about_and_never_printed(tmp_path, dsn):
    from conftest import SERVER

    d = copy_set("good", tmp_path)
    url = f"postgresql://{SERVER['user']}:Sekrit-Horse-9@{SERVER['host']}:{SERVER['port']}/nodb_here"
    r = Cli(None, d)("status", "--dsn", url)
    assert "the password in --dsn is visible to every user of this machine (ps)" in r.stderr
    assert "Sekrit-Horse-9" not in r.output
    r = Cli(None, d)("status", env={"SCHEMADB_DSN": url})  # from the environment: no warning
    assert "visible to every user" not in r.stderr


@pytest.mark.parametrize("bad", ["postgresql://bob:p@ss@127.0.0.1:1/db", "postgresql://bob:pa/ss@127.0.0.1:1/db"])
def test_an_unencoded_at_or_slash_in_the_password_is_refused_without_printing_it(tmp_path, bad):
    r = Cli(bad, copy_set("good", tmp_path))("status")
    assert r.exit_code == 2
    line = one_error_line(r)
    assert "percent-encode" in line and "%40" in line
    password = bad.split("bob:")[1].split("@127")[0]
    assert password not in r.output and "ss@" not in r.output and "/ss" not in r.output


def test_a_read_only_server_is_refused_by_commands_that_change_things(tmp_path, dsn, db, postgresql):
    d = copy_set("good", tmp_path)
    name = postgresql.info.dbname
    db.execute(psycopg.sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(
        psycopg.sql.Identifier(name)))
    try:
        cli = Cli(dsn, d)
        for args in (("migrate",), ("rollback",), ("baseline", "--version", "0001"), ("repair",)):
            r = cli(*args)
            assert r.exit_code == 2, (args, r.output)
            assert "the server takes no writes (default_transaction_read_only" in one_error_line(r)
        assert cli("status").exit_code == 0  # reading is fine
    finally:
        db.execute(psycopg.sql.SQL("ALTER DATABASE {} RESET default_transaction_read_only").format(
            psycopg.sql.Identifier(name)))


@pytest.fixture(scope="module")
def standby():
    """A throwaway primary with the good set migrated, and a hot standby of it (pg_basebackup -R)."""
    import shutil
    import tempfile
    from pathlib import Path

    from schemadb import _localpg

    root = Path(tempfile.mkdtemp(prefix="schemadb-standby-"))
    root.chmod(0o755)  # the servers run as the postgres OS user when the tests run as root
    primary = _localpg.start(root / "primary")
    standby_dsn = None
    try:
        cli = Cli(primary, copy_set("good", root))
        assert cli("migrate", "--target", "0002", "-q").exit_code == 0
        standby_dsn = _localpg.start_standby(primary, root / "standby")
        with psycopg.connect(standby_dsn) as c:
            assert c.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        yield primary, standby_dsn, root
    finally:
        _localpg.stop(root / "standby")
        _localpg.stop(root / "primary")
        shutil.rmtree(root, ignore_errors=True)


def test_a_standby_is_refused_by_every_command_that_changes_things(standby, tmp_path):
    _primary, dsn, _root = standby
    cli = Cli(dsn, copy_set("good", tmp_path))
    reference = Cli(dsn, None)
    for c, args in [(cli, a) for a in (("migrate",), ("rollback",), ("baseline", "--version", "0003"), ("repair",),
                                       ("verify",))] + [(reference, a) for a in (
                                           ("seed",), ("partitions", "ensure"), ("archive",), ("refresh-views",),
                                           ("maintenance",))]:
        r = c(*args)
        assert r.exit_code == 2, (args, r.output)
        assert "the server is a standby (in recovery): point --dsn at the primary" in one_error_line(r), args
    r = cli("status")  # reading a standby is fine
    assert r.exit_code == 0 and "2 applied, 1 pending" in r.stdout
    r = cli("health", "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["status"] == "degraded"
    assert [c for c in doc["checks"] if c["name"] == "primary"][0]["detail"].startswith("a standby (in recovery)")


def test_backups_are_private_and_stay_in_their_folder(dsn, db, tmp_path):
    from psycopg import sql

    from conftest import make_dsn

    name = f"{db.info.dbname}/../../escape"  # a database name with '/' must not write outside --out
    db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        out = tmp_path / "new" / "backups"
        r = Cli(make_dsn(name), None)("backup", "--out", str(out), "--schema-only", "--json")
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        dump = os.path.realpath(doc["file"])
        assert os.path.dirname(dump) == os.path.realpath(out)
        assert stat_mode(out) == 0o700
        for f in (dump, f"{dump}.sha256", f"{dump}.json"):
            assert stat_mode(f) == 0o600, f
        assert json.loads(open(f"{dump}.json").read())["database"] == name
    finally:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    (tmp_path / "a_file").write_text("x")
    r = Cli(dsn, None)("backup", "--out", str(tmp_path / "a_file"))
    assert r.exit_code == 2 and "--out" in one_error_line(r) and "not a folder" in r.stderr


def stat_mode(path) -> int:
    return os.stat(path).st_mode & 0o777


@pytest.mark.parametrize("damage", ["empty_sha256", "bad_json", "missing_key", "bad_counts"])
def test_restore_refuses_damaged_sidecars_before_restoring_anything(ref_dsn, dsn, db, tmp_path, damage):
    r = Cli(ref_dsn, None)("backup", "--out", str(tmp_path), "--json")
    dump = json.loads(r.stdout)["file"]
    mf = f"{dump}.json"
    manifest = json.loads(open(mf).read())
    if damage == "empty_sha256":
        open(f"{dump}.sha256", "w").close()
    elif damage == "bad_json":
        open(mf, "w").write("{not json")
    elif damage == "missing_key":
        del manifest["tables"]
        open(mf, "w").write(json.dumps(manifest))
    else:
        manifest["tables"]["core.tasks"] = "eight"
        open(mf, "w").write(json.dumps(manifest))
    r = Cli(dsn, None)("restore", dump)
    assert r.exit_code == 3, r.output
    assert "nothing was restored" in one_error_line(r)
    assert db.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'core'").fetchone()[0] == 0
