"""verify: every rollback must restore the schema exactly."""

import json

import psycopg


def scratch_databases(db):
    return db.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'schemadb_verify_%'").fetchone()[0]


def test_symmetric_set_passes_and_scratch_is_dropped(run, project, db):
    before = scratch_databases(db)
    r = run(project("good"))("verify")
    assert r.exit_code == 0, r.output
    assert "ok: all 3 rollbacks restore the schema exactly" in r.stdout
    assert scratch_databases(db) == before
    # the target database itself is untouched
    assert db.execute("SELECT to_regclass('public.schema_migrations')").fetchone()[0] is None


def test_asymmetric_rollback_names_the_objects(run, project, db):
    r = run(project("asymmetric"))("verify", "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["asymmetric"] == ["0002"]
    diffs = doc["migrations"][1]["differences"]
    assert "column public.widgets.size: default was 1, after the rollback 2" in diffs
    assert "function public.widget_area(s integer): left behind by the rollback" in diffs


def test_enum_value_cannot_be_rolled_back(run, project):
    r = run(project("concurrent"))("verify")
    assert r.exit_code == 1
    assert "enum public.event_kind: labels was ['created', 'updated'], after the rollback" in r.stdout


def test_explicit_scratch_database(run, project, dsn, postgresql):
    from conftest import make_dsn

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE DATABASE verify_scratch_explicit")
    try:
        r = run(project("good"))("verify", "--scratch-dsn", make_dsn("verify_scratch_explicit"))
        assert r.exit_code == 0, r.output
    finally:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("DROP DATABASE verify_scratch_explicit WITH (FORCE)")


def test_detects_dropped_grant_and_policy(run, project, tmp_path):
    d = tmp_path / "grants"
    (d / "migrations").mkdir(parents=True)
    (d / "rollback").mkdir()
    (d / "migrations/0001_t.sql").write_text("CREATE TABLE public.g (id int, org int);\n")
    (d / "rollback/0001_t.sql").write_text("DROP TABLE public.g;\n")
    (d / "migrations/0002_rls.sql").write_text(
        "ALTER TABLE public.g ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY p ON public.g USING (org = 1);\n"
        "GRANT SELECT ON public.g TO PUBLIC;\n")
    (d / "rollback/0002_rls.sql").write_text("DROP POLICY p ON public.g;\n")
    r = run(d)("verify")
    assert r.exit_code == 1
    assert "table public.g: rls was False, after the rollback True" in r.stdout
    assert "table public.g: acl was ['postgres=arwdDxt/postgres'], after the rollback ['=r/postgres', 'postgres=arwdDxt/postgres']" in r.stdout
    assert "policy" not in r.stdout  # the policy itself was dropped correctly
