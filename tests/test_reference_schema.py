"""The bundled reference schema: round trip, verify, roles, seed data."""

import json
import re

import psycopg
import pytest
from psycopg import sql

from conftest import REFERENCE_COUNT, Cli, make_dsn

SCHEMAS = ("core", "audit", "config", "metrics", "archive")
ROLES = ("app_user", "app_readonly", "audit_reader", "metrics_reader")


def schema_objects(db):
    return db.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY (%s)"
        " UNION ALL SELECT count(*) FROM pg_namespace WHERE nspname = ANY (%s)"
        " UNION ALL SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY (%s)",
        (list(SCHEMAS), list(SCHEMAS), list(SCHEMAS))).fetchall()


def test_migrate_rollback_all_and_migrate_again(dsn, db):
    cli = Cli(dsn, None)  # the bundled reference schema
    r = cli("migrate")
    assert r.exit_code == 0, r.output
    assert f"{REFERENCE_COUNT} applied" in r.stdout
    tables = db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = ANY (%s)", (list(SCHEMAS),)).fetchone()[0]
    assert tables > 48  # 48 tables plus their partitions
    st = json.loads(cli("status", "--json").stdout)
    assert {k: st["counts"][k] for k in ("applied", "pending", "changed", "missing", "irreversible")} == {
        "applied": REFERENCE_COUNT, "pending": 0, "changed": 0, "missing": 0, "irreversible": 0}
    r = cli("rollback", "--all", "--yes")
    assert r.exit_code == 0, r.output
    assert [x[0] for x in schema_objects(db)] == [0, 0, 0]
    assert db.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == 0
    r = cli("migrate")
    assert r.exit_code == 0, r.output
    assert f"{REFERENCE_COUNT} applied" in r.stdout


def test_reference_rollbacks_are_proven(dsn):
    r = Cli(dsn, None)("verify")
    assert r.exit_code == 0, r.output
    assert f"ok: all {REFERENCE_COUNT} rollbacks restore the schema exactly" in r.stdout


def test_pgcrypto_that_predates_schemadb_is_kept(dsn, db):
    db.execute("CREATE EXTENSION pgcrypto")
    cli = Cli(dsn, None)
    assert cli("migrate").exit_code == 0
    assert cli("rollback", "--all", "--yes").exit_code == 0
    assert db.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'").fetchone()[0] == 1


def _roles(db):
    return {r[0] for r in db.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY (%s)", (list(ROLES),))}


def _used_elsewhere(db):
    """Roles with privileges or objects in a database other than this one."""
    return {r[0] for r in db.execute(
        "SELECT DISTINCT r.rolname FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid"
        " WHERE d.refclassid = 'pg_authid'::regclass AND r.rolname = ANY (%s)"
        " AND d.dbid <> (SELECT oid FROM pg_database WHERE datname = current_database())", (list(ROLES),))}


def _with_members(db):
    return {r[0] for r in db.execute(
        "SELECT r.rolname FROM pg_roles r WHERE r.rolname = ANY (%s)"
        " AND EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = r.oid)", (list(ROLES),))}


def test_roles_are_created_nologin_and_dropped_only_when_unused(dsn, db, postgresql):
    cli = Cli(dsn, None)
    assert cli("migrate").exit_code == 0
    assert _roles(db) == set(ROLES)
    assert db.execute("SELECT bool_or(rolcanlogin) FROM pg_roles WHERE rolname = ANY (%s)",
                      (list(ROLES),)).fetchone()[0] is False
    # a second database migrated on the same cluster uses the same roles
    other = f"{postgresql.info.dbname}_other"
    db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(other)))
    try:
        assert Cli(make_dsn(other), None)("migrate").exit_code == 0
        r = cli("rollback", "--all", "--yes")
        assert r.exit_code == 0
        assert _roles(db) == set(ROLES)  # kept: the other database still grants to them
        assert "kept: it still has privileges in another database" in r.stdout
        # (a role some login is a member of, such as the tests' application login, is kept for that reason)
        assert re.search(r"role app_user kept: it (still has privileges in another database|has members)", r.stdout)
        with psycopg.connect(make_dsn(other), autocommit=True) as o:  # and it still works there
            o.execute("SET ROLE app_user")
            o.execute("SELECT count(*) FROM core.tasks")
    finally:
        db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(other)))
    # with no other user left, a migrate/rollback cycle drops them
    assert cli("migrate").exit_code == 0
    if not _used_elsewhere(db):
        assert cli("rollback", "--all", "--yes").exit_code == 0
        assert _roles(db) == _with_members(db)


def test_seed_reference_rows_match_the_migrations(dsn, db):
    cli = Cli(dsn, None)
    cli("migrate")
    tables = ["config.task_types", "config.agent_capabilities", "config.mcp_server_types",
              "config.data_retention_policies"]
    snapshot_sql = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {name}, (to_jsonb(x) - 'id' - 'created_at' - 'updated_at')::text FROM {t} x").format(
            name=sql.Literal(t), t=sql.Identifier(*t.split("."))) for t in tables)
    before = sorted(db.execute(snapshot_sql).fetchall())
    assert len(before) == 9 + 8 + 4 + 10
    r = cli("seed", "--json")
    assert json.loads(r.stdout)["inserted"] == {}  # everything already there
    for t in tables:
        db.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(*t.split("."))))
    r = cli("seed", "--json")
    assert json.loads(r.stdout)["inserted"] == {"config.task_types": 9, "config.agent_capabilities": 8,
                                                "config.mcp_server_types": 4, "config.data_retention_policies": 10}
    assert sorted(db.execute(snapshot_sql).fetchall()) == before


def test_seed_demo_twice_gives_the_same_rows(dsn, db):
    cli = Cli(dsn, None)
    cli("migrate")
    r = cli("seed", "--demo", "--json")
    doc = json.loads(r.stdout)
    assert doc["inserted"]["core.tasks"] == 8 and doc["inserted"]["core.agents"] == 9
    counts = db.execute("SELECT (SELECT count(*) FROM core.tasks), (SELECT count(*) FROM core.agent_status_history),"
                        " (SELECT count(*) FROM audit.audit_logs)").fetchone()
    r = cli("seed", "--demo", "--json")
    assert json.loads(r.stdout)["inserted"] == {}
    assert db.execute("SELECT (SELECT count(*) FROM core.tasks), (SELECT count(*) FROM core.agent_status_history),"
                      " (SELECT count(*) FROM audit.audit_logs)").fetchone() == counts
    r = cli("seed", "--demo", "--reset", "--json")
    doc = json.loads(r.stdout)
    assert doc["deleted"]["core.organizations"] == 1 and doc["inserted"]["core.tasks"] == 8
    assert cli("seed", "--reset").exit_code == 2


def test_seed_refuses_an_unmigrated_database(dsn):
    r = Cli(dsn, None)("seed")
    assert r.exit_code == 3 and "not migrated" in r.stderr


# --- constraints, on the migrated and seeded template ------------------------------------------

VOCAB_SQL = """
SELECT n.nspname, c.relname, a.attname, co.conname
  FROM pg_constraint co
  JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = co.conkey[1]
 WHERE co.contype = 'c' AND cardinality(co.conkey) = 1 AND n.nspname IN ('core','audit','config','metrics')
   AND NOT c.relispartition AND pg_get_constraintdef(co.oid) LIKE '%%= ANY (ARRAY[%%'
   AND a.atttypid = 'text'::regtype
 ORDER BY 1, 2, 3
"""


def has_rows(conn, schema, table) -> bool:
    return conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(schema, table))).fetchone()[0]


def set_one_row(conn, schema, table, column, value) -> None:
    """UPDATE one row of schema.table setting column to value."""
    t = sql.Identifier(schema, table)
    conn.execute(sql.SQL("UPDATE {t} SET {c} = %s WHERE id = (SELECT id FROM {t} LIMIT 1)").format(
        t=t, c=sql.Identifier(column)), (value,))


def test_every_check_vocabulary_rejects_a_bad_value(ref):
    vocab = ref.execute(VOCAB_SQL).fetchall()
    assert len(vocab) == 34  # every text IN-list CHECK of the reference schema
    ref.execute("SET session_replication_role = replica")  # triggers off: the CHECK itself must reject
    untested = []
    for schema, table, column, conname in vocab:
        if not has_rows(ref, schema, table):
            untested.append(f"{schema}.{table}")
            continue
        with pytest.raises(psycopg.errors.CheckViolation) as e, ref.transaction():
            set_one_row(ref, schema, table, column, "not-a-valid-value")
        assert e.value.diag.constraint_name == conname
    assert untested == [], "the demo data must cover every table with a vocabulary"


def test_agent_type_domain_rejects_a_bad_value(ref):
    with pytest.raises(psycopg.errors.CheckViolation) as e:
        ref.execute("UPDATE core.agents SET agent_type = 'mobile_controller' WHERE handle = 'demo-research'")
    assert e.value.diag.constraint_name == "agent_type_check"


def test_not_nulls_hold(ref):
    cols = ref.execute(
        "SELECT n.nspname, c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname IN ('core','audit','config','metrics') AND c.relkind IN ('r','p') AND NOT c.relispartition"
        " AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull AND a.attgenerated = '' AND a.attidentity <> 'a'"
        " AND EXISTS (SELECT 1 FROM pg_attribute i WHERE i.attrelid = c.oid AND i.attname = 'id')").fetchall()
    assert len(cols) > 200
    ref.execute("SET session_replication_role = replica")
    checked = 0
    for schema, table, column in cols:
        if not has_rows(ref, schema, table):
            continue
        with pytest.raises(psycopg.errors.NotNullViolation), ref.transaction():
            set_one_row(ref, schema, table, column, None)
        checked += 1
    assert checked > 150


DEMO = "de000000-0000-4000-8000-0000000000"


def demo_id(nn: str) -> str:
    return DEMO + nn


def test_deleting_the_organization_cascades_to_everything(ref):
    ref.execute("DELETE FROM core.organizations WHERE id = %s", (demo_id("01"),))
    for t in ("projects", "tasks", "task_results", "agents", "agent_messages", "message_queue", "knowledge_entries",
              "test_results", "agent_outputs"):
        assert not has_rows(ref, "core", t), t


def test_an_agent_that_worked_cannot_be_deleted(ref):
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        with ref.transaction():
            ref.execute("DELETE FROM core.agents WHERE id = %s", (demo_id("32"),))  # fails at commit (deferred)
    ref.execute("DELETE FROM core.agents WHERE id = %s", (demo_id("36"),))  # an agent without work can go


def test_set_null_and_cascade_rules(ref):
    ref.execute("DELETE FROM core.users WHERE id = %s", (demo_id("11"),))  # alice created the project
    assert ref.execute("SELECT created_by FROM core.projects WHERE id = %s", (demo_id("21"),)).fetchone() == (None,)
    ref.execute("DELETE FROM core.plans WHERE id = %s", (demo_id("51"),))  # tasks keep their project, lose the plan
    assert ref.execute("SELECT count(*), count(plan_id), count(project_id) FROM core.tasks").fetchone() == (8, 0, 8)
    ref.execute("DELETE FROM core.tasks WHERE id = %s", (demo_id("76"),))  # its dependencies go with it
    assert ref.execute("SELECT count(*) FROM core.task_dependencies").fetchone()[0] == 0
    with pytest.raises(psycopg.errors.ForeignKeyViolation):  # a task in another project's plan
        ref.execute("INSERT INTO core.projects (id, organization_id, slug, name) VALUES (%s, %s, 'second', 'S')",
                    (demo_id("99"), demo_id("01")))
        ref.execute("INSERT INTO core.plans (id, project_id, title) VALUES (%s, %s, 'P2')", (demo_id("98"), demo_id("99")))
        ref.execute("INSERT INTO core.tasks (project_id, plan_id, title) VALUES (%s, %s, 'x')",
                    (demo_id("21"), demo_id("98")))
