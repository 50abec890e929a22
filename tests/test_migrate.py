"""migrate, status and the history table, against a real server."""

import json

from schemadb.migrations import scan


def tables(db):
    return {r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_migrate_applies_in_order_and_records_history(run, project, db):
    d = project("good")
    r = run(d)("migrate")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert [ln.split()[1] for ln in lines[:3]] == ["0001", "0002", "0003"]
    assert lines[0].startswith("applied 0001 create_accounts (") and lines[0].endswith("ms)")
    assert lines[-1].startswith("3 applied in ") and lines[-1].endswith("current version 0003")
    assert {"accounts", "orders", "schema_migrations", "schema_migrations_log"} <= tables(db)
    rows = db.execute("SELECT version, name, checksum, rollback_checksum, applied_by, duration_ms, transactional"
                      " FROM schema_migrations ORDER BY version").fetchall()
    sc = scan(d)
    assert [(r[0], r[1]) for r in rows] == [(m.version, m.name) for m in sc.migrations]
    assert [(r[2], r[3]) for r in rows] == [(m.up.checksum, m.down.checksum) for m in sc.migrations]
    assert all(r[4].startswith("postgres (schemadb migrate") and r[5] is not None and r[6] for r in rows)
    log = db.execute("SELECT action, version, outcome, db_user FROM schema_migrations_log ORDER BY id").fetchall()
    assert log == [("apply", v, "ok", "postgres") for v in ("0001", "0002", "0003")]


def test_second_migrate_has_nothing_to_do(run, project):
    cli = run(project("good"))
    assert cli("migrate").exit_code == 0
    r = cli("migrate")
    assert r.exit_code == 0
    assert r.stdout.strip() == "nothing to migrate (current version 0003)"


def test_target_and_dry_run(run, project, db):
    cli = run(project("good"))
    r = cli("migrate", "--dry-run")
    assert r.exit_code == 0
    assert "would apply 0001 create_accounts" in r.stdout and "nothing was changed" in r.stdout
    assert tables(db) == set()  # dry run does not even create the history table
    r = cli("migrate", "--target", "0002")
    assert r.exit_code == 0
    assert db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == "0002"


def test_status_states_and_exit_code(run, project, db):
    d = project("good")
    cli = run(d)
    r = cli("status", "--exit-code")
    assert r.exit_code == 1 and "0 applied, 3 pending" in r.stdout
    assert tables(db) == set()  # status writes nothing
    cli("migrate", "--target", "0002")
    (d / "migrations/0001_create_accounts.sql").write_text("-- edited\nSELECT 1;\n")
    (d / "migrations/0002_orders_with_trigger.sql").unlink()
    r = cli("status", "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert {m["version"]: m["state"] for m in doc["migrations"]} == {"0001": "changed", "0002": "missing",
                                                                    "0003": "pending"}
    assert doc["current_version"] == "0002"
    assert doc["counts"] == {"applied": 0, "pending": 1, "changed": 1, "missing": 1, "irreversible": 0,
                             "rollback_changed": 0}


def test_migrate_json_output(run, project):
    r = run(project("good"))("migrate", "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["command"] == "migrate" and doc["error"] is None and doc["current_version"] == "0003"
    assert [a["version"] for a in doc["applied"]] == ["0001", "0002", "0003"]
    assert all(isinstance(a["duration_ms"], int) and a["transactional"] for a in doc["applied"])


def test_common_options_before_and_after_command(run, project, dsn):
    d = project("good")
    cli = run(None)
    cli.dsn = None
    r = cli("--dsn", dsn, "--dir", str(d), "migrate", "-q", "--target", "1")
    assert r.exit_code == 0 and r.stdout == ""
    r = cli("status", "--dsn", dsn, "--dir", str(d), "--json")
    assert json.loads(r.stdout)["current_version"] == "0001"
    # an option after the command overrides its environment variable
    r = cli("status", "--dir", str(d), "--json", env={"SCHEMADB_DSN": "postgresql://nobody@127.0.0.1:1/x",
                                                      "SCHEMADB_DIR": "/nonexistent"})
    assert r.exit_code == 2  # env DSN used: unreachable
    r = cli("--dsn", dsn, "status", "--dir", str(d), env={"SCHEMADB_DIR": "/nonexistent"})
    assert r.exit_code == 0


def test_database_url_fallback(run, project, dsn):
    cli = run(project("good"))
    cli.dsn = None
    r = cli("migrate", env={"DATABASE_URL": dsn})
    assert r.exit_code == 0, r.output


def test_custom_history_table(run, project, db):
    r = run(project("good"))("migrate", "--history-table", "ops.migration_history")
    assert r.exit_code == 0, r.output
    assert db.execute("SELECT count(*) FROM ops.migration_history").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM ops.migration_history_log").fetchone()[0] == 3


def test_new_creates_next_pair(run, project):
    d = project("good")
    r = run(d)("new", "Add Invoices")
    assert r.exit_code == 0
    assert (d / "migrations/0004_add_invoices.sql").is_file() and (d / "rollback/0004_add_invoices.sql").is_file()
    assert run(d)("new", "bad;name").exit_code == 2


def test_baseline_records_without_running(run, project, db):
    cli = run(project("good"))
    r = cli("baseline", "--version", "0002")
    assert r.exit_code == 0 and "recorded 0001" in r.stdout and "recorded 0002" in r.stdout
    assert "accounts" not in tables(db)
    assert db.execute("SELECT count(*) FROM schema_migrations_log WHERE action = 'baseline'").fetchone()[0] == 2
    db.execute("CREATE TABLE accounts (id bigint PRIMARY KEY)")  # the adopted database has it
    db.execute("CREATE TABLE orders (id bigint PRIMARY KEY)")
    r = cli("migrate")
    assert r.exit_code == 1  # 0003's view needs columns the hand-made tables lack: the SQL runs for real
    assert cli("baseline", "--version", "9").exit_code == 0


def test_log_command(run, project):
    cli = run(project("good"))
    cli("migrate")
    cli("rollback")
    r = cli("log", "--json")
    entries = json.loads(r.stdout)["entries"]
    assert [(e["action"], e["version"]) for e in entries[:2]] == [("rollback", "0003"), ("apply", "0003")]


def test_each_file_starts_from_the_connection_settings(run, tmp_path, db):
    """A plain SET (or SET ROLE) in one file must not change how the next file runs."""
    d = tmp_path / "isolation"
    for folder in ("migrations", "rollback"):
        (d / folder).mkdir(parents=True)
    db.execute("CREATE SCHEMA elsewhere")
    (d / "migrations/0001_set_path.sql").write_text("SET search_path = elsewhere;\nSET ROLE pg_read_all_data;\n"
                                                     "SELECT 1;\n")
    (d / "rollback/0001_set_path.sql").write_text("SELECT 1;\n")
    (d / "migrations/0002_unqualified.sql").write_text("CREATE TABLE plain_table (id int);\n")
    (d / "rollback/0002_unqualified.sql").write_text("DROP TABLE plain_table;\n")
    (d / "migrations/0003_no_tx.sql").write_text("-- schemadb:no-transaction\nSET search_path = elsewhere;\n"
                                                 "SELECT 1;\n")
    (d / "rollback/0003_no_tx.sql").write_text("SELECT 1;\n")
    (d / "migrations/0004_unqualified_again.sql").write_text("CREATE TABLE plain_table_2 (id int);\n")
    (d / "rollback/0004_unqualified_again.sql").write_text("DROP TABLE plain_table_2;\n")
    r = run(d)("migrate")
    assert r.exit_code == 0, r.output
    where = dict(db.execute("SELECT tablename, schemaname FROM pg_tables WHERE tablename LIKE 'plain_table%'"
                            ).fetchall())
    assert where == {"plain_table": "public", "plain_table_2": "public"}
    owner = db.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'plain_table'").fetchone()[0]
    assert owner == "postgres"
