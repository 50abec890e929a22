"""rollback: steps, target, --all with its confirmation, dry run, failure atomicity."""

import json


def public_objects(db):
    return db.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relname NOT LIKE 'schema_migrations%'"
    ).fetchone()[0]


def versions(db):
    return [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY version")]


def test_one_step_by_default_without_asking(run, project, db):
    cli = run(project("good"))
    cli("migrate")
    r = cli("rollback")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("rolled back 0003 order_totals_view (")
    assert versions(db) == ["0001", "0002"]
    assert cli("rollback", "--steps", "2").exit_code == 0
    assert versions(db) == [] and public_objects(db) == 0
    r = cli("rollback")
    assert r.exit_code == 0 and "nothing to roll back" in r.stdout


def test_all_and_target_need_yes_without_a_terminal(run, project, db):
    cli = run(project("good"))
    cli("migrate")
    for args in (("--all",), ("--target", "0001")):
        r = cli("rollback", *args)
        assert r.exit_code == 2
        assert "needs --yes when not on a terminal; take a backup first" in r.stderr
    assert versions(db) == ["0001", "0002", "0003"]
    r = cli("rollback", "--target", "0001", "--yes")
    assert r.exit_code == 0 and versions(db) == ["0001"]
    r = cli("rollback", "--all", "--yes", "--json")
    doc = json.loads(r.stdout)
    assert [x["version"] for x in doc["rolled_back"]] == ["0001"] and doc["current_version"] is None
    assert public_objects(db) == 0
    # the log keeps the whole story
    assert db.execute("SELECT count(*) FROM schema_migrations_log WHERE action = 'rollback'").fetchone()[0] == 3


def test_dry_run_changes_nothing(run, project, db):
    cli = run(project("good"))
    cli("migrate")
    r = cli("rollback", "--all", "--dry-run")
    assert r.exit_code == 0
    assert [ln.split()[3] for ln in r.stdout.splitlines()[:3]] == ["0003", "0002", "0001"]
    assert versions(db) == ["0001", "0002", "0003"]


def test_failing_rollback_keeps_its_migration_applied(run, project, db):
    d = project("good")
    cli = run(d)
    cli("migrate")
    (d / "rollback/0002_orders_with_trigger.sql").write_text(
        "DROP TABLE public.orders;\nDROP FUNCTION public.no_such_function();\n")
    r = cli("rollback", "--all", "--yes")
    assert r.exit_code == 3 and "changed since its migration was applied" in r.stderr  # until reviewed
    assert cli("repair").exit_code == 0
    r = cli("rollback", "--all", "--yes")
    assert r.exit_code == 1
    assert "rollback/0002_orders_with_trigger.sql:2" in r.stderr and "[42883]" in r.stderr
    assert "rolled back before the failure: 0003" in r.stdout
    assert versions(db) == ["0001", "0002"]
    assert db.execute("SELECT to_regclass('public.orders') IS NOT NULL").fetchone()[0]  # its DROP was undone


def test_rollback_refuses_changed_migration(run, project, db):
    d = project("good")
    cli = run(d)
    cli("migrate")
    (d / "migrations/0003_order_totals_view.sql").write_text("CREATE VIEW public.order_totals AS SELECT 1 AS x;\n")
    r = cli("rollback")
    assert r.exit_code == 3 and "changed since it was applied" in r.stderr
    assert versions(db) == ["0001", "0002", "0003"]


def test_rollback_missing_file_refuses(run, project, db):
    d = project("good")
    cli = run(d)
    cli("migrate")
    (d / "rollback/0003_order_totals_view.sql").unlink()
    r = cli("rollback")
    assert r.exit_code == 3
    assert versions(db) == ["0001", "0002", "0003"]
