"""verify: every rollback must restore the schema exactly (issue 10)."""

import json
import signal
import time

import psycopg
import pytest
from psycopg import sql

from conftest import Cli, make_dsn, one_error_line, spawn, write_set


def scratch_databases(db):
    return db.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'schemadb_verify_%'").fetchone()[0]


def messages(doc, version):
    return [d["message"] for m in doc["migrations"] if m["version"] == version for d in m["differences"]]


def test_symmetric_set_passes_and_scratch_is_dropped(run, project, db):
    before = scratch_databases(db)
    r = run(project("good"))("verify")
    assert r.exit_code == 0, r.output
    assert "ok: all 3 rollbacks restore the schema exactly" in r.stdout
    assert scratch_databases(db) == before
    # the target database itself is untouched
    assert db.execute("SELECT to_regclass('public.schema_migrations')").fetchone()[0] is None


def test_asymmetric_rollback_names_the_objects_and_goes_on(run, project, db):
    r = run(project("asymmetric"))("verify", "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["asymmetric"] == ["0002"]
    assert doc["counts"] == {"symmetric": 2, "asymmetric": 1, "failed": 0, "irreversible": 0, "unchecked": 0}
    diffs = messages(doc, "0002")
    assert "column public.widgets.size: default 1 → 2" in diffs
    assert "function public.widget_area(s integer): left behind by the rollback" in diffs
    d = [x for x in doc["migrations"][1]["differences"] if x["field"] == "default"][0]
    assert (d["kind"], d["object"], d["before"], d["after"]) == ("column", "public.widgets.size", "1", "2")
    assert [m["outcome"] for m in doc["migrations"]] == ["symmetric", "asymmetric", "symmetric"]  # 0003 proven too


def test_enum_value_cannot_be_rolled_back(run, project):
    r = run(project("concurrent"))("verify")
    assert r.exit_code == 1
    assert 'enum public.event_kind: labels ["created", "updated", "deleted"] → ["created", "updated"]' in r.stdout \
        or 'enum public.event_kind: labels ["created", "updated"] → ["created", "updated", "deleted"]' in r.stdout


def test_explicit_scratch_database(run, project, dsn, postgresql):
    name = f"{postgresql.info.dbname}_scratch"
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        r = run(project("good"))("verify", "--scratch-dsn", make_dsn(name))
        assert r.exit_code == 0, r.output
        with psycopg.connect(make_dsn(name)) as c:  # verify's tracking does not stay behind
            assert c.execute("SELECT count(*) FROM pg_event_trigger").fetchone()[0] == 0
            assert c.execute("SELECT to_regnamespace('schemadb_verify')").fetchone()[0] is None
    finally:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_a_scratch_database_that_holds_anything_is_refused_and_left_alone(run, project, dsn, db):
    name = f"{db.info.dbname}_scratch"
    db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(make_dsn(name), autocommit=True) as c:
            c.execute("CREATE TABLE public.precious AS SELECT g AS id FROM generate_series(1, 1000) g")
            c.execute("ANALYZE public.precious")
        r = run(project("good"))("verify", "--scratch-dsn", make_dsn(name))
        assert r.exit_code == 2
        line = one_error_line(r)
        assert "is not empty: it holds table public.precious (1000 rows)" in line
        assert "nothing was created or changed" in line
        with psycopg.connect(make_dsn(name)) as c:
            assert c.execute("SELECT count(*) FROM public.precious").fetchone()[0] == 1000
            assert c.execute("SELECT to_regclass('public.schema_migrations')").fetchone()[0] is None
            assert c.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog',"
                             " 'information_schema')").fetchone()[0] == 1
    finally:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_the_scratch_database_is_dropped_when_verify_is_interrupted(project, dsn, db, tmp_path):
    d = write_set(tmp_path / "slow", {
        "migrations/0001_slow.sql": "CREATE TABLE public.s (a int);\nSELECT pg_sleep(30);\n",
        "rollback/0001_slow.sql": "DROP TABLE public.s;\n",
    })
    before = scratch_databases(db)
    proc = spawn(["verify"], dsn, d)
    deadline = time.monotonic() + 20
    while not db.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'schemadb_verify_scratch_%'"
                         ).fetchone()[0] > before:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "Traceback" not in err
    assert scratch_databases(db) == before


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
    assert "table public.g: rls false → true" in r.stdout
    assert 'table public.g: acl ["postgres=arwdDxt/postgres"] → ["=r/postgres", "postgres=arwdDxt/postgres"]' in r.stdout
    assert "policy" not in r.stdout  # the policy itself was dropped correctly


# One migration per kind of object, each with a rollback that gets it wrong; verify must name every one.
BASE = """CREATE TABLE public.base (id int PRIMARY KEY, n int GENERATED ALWAYS AS IDENTITY, t text);
CREATE TABLE public.other (id int);
CREATE SEQUENCE public.s1 START 5 INCREMENT 2;
CREATE SEQUENCE public.s2 OWNED BY public.base.id;
CREATE PUBLICATION pub1 FOR TABLE public.base;
CREATE AGGREGATE public.agg1(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0');
CREATE FUNCTION public.et() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$;
CREATE EVENT TRIGGER et1 ON ddl_command_start WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.et();
CREATE POLICY p1 ON public.base USING (true);
COMMENT ON POLICY p1 ON public.base IS 'why';
CREATE FUNCTION public.tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER tr1 BEFORE INSERT ON public.base FOR EACH ROW EXECUTE FUNCTION public.tf();
COMMENT ON TRIGGER tr1 ON public.base IS 'why';
CREATE TABLE public.pa (a int);
CREATE TABLE public.pb (b int);
CREATE TABLE public.child () INHERITS (public.pa, public.pb);
"""
BASE_DOWN = """DROP TABLE public.child, public.pa, public.pb;
DROP EVENT TRIGGER et1;
DROP FUNCTION public.et();
DROP AGGREGATE public.agg1(int);
DROP PUBLICATION pub1;
DROP TABLE public.base, public.other;
DROP FUNCTION public.tf();
DROP SEQUENCE public.s1;
"""
# One migration per kind of object, each with a rollback that gets it wrong; verify must name every one.
KINDS = [
    ("sequence options", "ALTER SEQUENCE public.s1 INCREMENT 3;", "ALTER SEQUENCE public.s1 INCREMENT 2 CACHE 5;",
     "sequence public.s1: sequence"),
    ("identity sequence", "ALTER TABLE public.base ALTER COLUMN n SET GENERATED BY DEFAULT;\n"
     "ALTER TABLE public.base ALTER COLUMN n RESTART WITH 10 SET INCREMENT BY 5;",
     "ALTER TABLE public.base ALTER COLUMN n SET GENERATED ALWAYS;", "public.base_n_seq: sequence"),
    ("owned by", "ALTER SEQUENCE public.s2 OWNED BY NONE;", "SELECT 1;",
     "sequence public.s2: owned by public.base.id → absent"),
    ("extended statistics", "CREATE STATISTICS public.st1 ON id, n FROM public.base;", "SELECT 1;",
     "statistics public.st1: left behind"),
    ("publication", "ALTER PUBLICATION pub1 ADD TABLE public.other;", "ALTER PUBLICATION pub1 SET TABLE public.other;",
     "publication pub1: tables"),
    ("column statistics", "ALTER TABLE public.base ALTER COLUMN n SET STATISTICS 1000;", "SELECT 1;",
     "column public.base.n: statistics target -1 → 1000"),
    ("column storage", "ALTER TABLE public.base ALTER COLUMN t SET STORAGE MAIN;", "SELECT 1;",
     "column public.base.t: storage x → m"),
    ("column compression", "ALTER TABLE public.base ALTER COLUMN t SET COMPRESSION pglz;", "SELECT 1;",
     "column public.base.t: compression default → pglz"),
    ("replica identity", "ALTER TABLE public.base REPLICA IDENTITY FULL;", "SELECT 1;",
     "table public.base: replica identity default → full"),
    ("cluster on", "ALTER TABLE public.base CLUSTER ON base_pkey;", "SELECT 1;", "index public.base_pkey: clustered"),
    ("access method", "CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;\n"
     "ALTER TABLE public.other SET ACCESS METHOD heap2;", "ALTER TABLE public.other SET ACCESS METHOD heap;",
     "access method heap2: left behind"),
    ("extension version and comment", "COMMENT ON EXTENSION plpgsql IS 'changed';", "SELECT 1;",
     "extension plpgsql: comment"),
    ("collation", "CREATE COLLATION public.c1 (provider = libc, locale = 'C');", "SELECT 1;",
     "collation public.c1: left behind"),
    ("text search configuration", "CREATE TEXT SEARCH CONFIGURATION public.ts1 (COPY = pg_catalog.simple);",
     "SELECT 1;", "text search configuration public.ts1: left behind"),
    ("text search dictionary", "CREATE TEXT SEARCH DICTIONARY public.d1 (TEMPLATE = simple, STOPWORDS = english);",
     "SELECT 1;", "text search dictionary public.d1: left behind"),
    ("foreign data wrapper", "CREATE FOREIGN DATA WRAPPER fdw1;", "SELECT 1;", "foreign data wrapper fdw1: left behind"),
    ("server and user mapping", "CREATE FOREIGN DATA WRAPPER fdw2;\nCREATE SERVER srv1 FOREIGN DATA WRAPPER fdw2;\n"
     "CREATE USER MAPPING FOR CURRENT_USER SERVER srv1 OPTIONS (password 'not-shown-anywhere');",
     "DROP USER MAPPING FOR CURRENT_USER SERVER srv1;", "server srv1: left behind"),
    ("operator", "CREATE FUNCTION public.eqx(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';\n"
     "CREATE OPERATOR public.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = public.eqx);",
     "DROP FUNCTION public.eqx(int, int) CASCADE;\nCREATE FUNCTION public.eqx(int, int) RETURNS bool LANGUAGE sql "
     "IMMUTABLE AS 'SELECT $1 = $2';", "function public.eqx(integer, integer): left behind"),
    ("operator class", "CREATE OPERATOR CLASS public.oc1 FOR TYPE int USING btree AS OPERATOR 1 <, "
     "FUNCTION 1 btint4cmp(int, int);", "SELECT 1;", "operator class public.oc1 using btree: left behind"),
    ("cast", "CREATE TYPE public.money2 AS (v int);\n"
     "CREATE FUNCTION public.m2(public.money2) RETURNS int LANGUAGE sql AS 'SELECT $1.v';\n"
     "CREATE CAST (public.money2 AS int) WITH FUNCTION public.m2(public.money2);",
     "DROP CAST (public.money2 AS int);\nDROP FUNCTION public.m2(public.money2);",
     "type public.money2: left behind"),
    ("aggregate", "DROP AGGREGATE public.agg1(int);\n"
     "CREATE AGGREGATE public.agg1(int) (SFUNC = int4pl, STYPE = int, INITCOND = '5');",
     "DROP AGGREGATE public.agg1(int);\nCREATE AGGREGATE public.agg1(int) (SFUNC = int4pl, STYPE = int, INITCOND = '1');",
     "aggregate public.agg1(integer): aggregate"),
    ("event trigger tags", "DROP EVENT TRIGGER et1;\n"
     "CREATE EVENT TRIGGER et1 ON ddl_command_start WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION public.et();",
     "DROP EVENT TRIGGER et1;\nCREATE EVENT TRIGGER et1 ON ddl_command_start WHEN TAG IN ('DROP TABLE') "
     "EXECUTE FUNCTION public.et();", "event trigger et1: tags"),
    ("policy comment", "COMMENT ON POLICY p1 ON public.base IS 'changed';",
     "COMMENT ON POLICY p1 ON public.base IS 'other';", "policy public.base.p1: comment why → other"),
    ("trigger comment", "COMMENT ON TRIGGER tr1 ON public.base IS 'changed';",
     "COMMENT ON TRIGGER tr1 ON public.base IS 'other';", "trigger public.base.tr1: comment why → other"),
    ("database setting", "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET work_mem = %L', current_database(), '8MB'); "
     "END $$;", "SELECT 1;", "database setting for every role: left behind"),
    ("inherits two parents", "ALTER TABLE public.child NO INHERIT public.pb;", "SELECT 1;",
     "table public.child: inherits"),
]


def test_verify_sees_every_kind_of_object(tmp_path, dsn, db):
    files = {"migrations/0001_base.sql": BASE, "rollback/0001_base.sql": BASE_DOWN}
    for i, (label, up, down, _expected) in enumerate(KINDS, start=2):
        slug = label.replace(" ", "_")
        files[f"migrations/{i:04d}_{slug}.sql"] = up + "\n"
        files[f"rollback/{i:04d}_{slug}.sql"] = down + "\n"
    d = write_set(tmp_path / "kinds", files)
    r = Cli(dsn, d)("verify", "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 1, r.output
    by_version = {m["version"]: m for m in doc["migrations"]}
    missing = []
    for i, (label, _up, _down, expected) in enumerate(KINDS, start=2):
        m = by_version[f"{i:04d}"]
        if not any(expected in d["message"] for d in m["differences"]):
            missing.append((label, expected, [d["message"] for d in m["differences"]], m["error"]))
    assert missing == []
    assert doc["counts"] == {"symmetric": 1, "asymmetric": len(KINDS), "failed": 0, "irreversible": 0, "unchecked": 0}
    assert doc["missed"] == []  # the step-by-step tracking saw everything the final whole snapshot saw
    assert "not-shown-anywhere" not in r.stdout  # a user mapping's password never reaches the report


def test_a_failed_rollback_is_recorded_and_verify_goes_on(tmp_path, dsn):
    d = write_set(tmp_path / "goes_on", {
        "migrations/0001_a.sql": "CREATE TABLE public.a (id int);\n",
        "rollback/0001_a.sql": "DROP TABLE public.a;\n",
        "migrations/0002_b.sql": "CREATE TABLE public.b (id int);\n",
        "rollback/0002_b.sql": "DROP TABLE public.b;\nDROP TABLE public.no_such_table;\n",
        "migrations/0003_c.sql": "-- schemadb:no-transaction\nCREATE TABLE public.c (id int);\nCREATE INDEX CONCURRENTLY"
                                 " c_idx ON public.c (id);\n",
        "rollback/0003_c.sql": "-- schemadb:no-transaction\nDROP INDEX CONCURRENTLY public.c_idx;\n"
                               "SELECT 1/0;\nDROP TABLE public.c;\n",
        "migrations/0004_d.sql": "ALTER TABLE public.a ADD PRIMARY KEY (id);\n"
                                 "CREATE TABLE public.d (id int REFERENCES public.a (id));\n",
        "rollback/0004_d.sql": "ALTER TABLE public.a DROP CONSTRAINT a_pkey;\nDROP TABLE public.d;\n",
        "migrations/0005_e.sql": "DROP TABLE public.b;\n",
        "rollback/0005_e.sql": "-- not reversible\n",
        "migrations/0006_f.sql": "CREATE TABLE public.f (id int);\n",
        "rollback/0006_f.sql": "DROP TABLE public.f;\n",
    })
    r = Cli(dsn, d)("verify", "--json")
    doc = json.loads(r.stdout)
    outcomes = {m["version"]: m["outcome"] for m in doc["migrations"]}
    assert outcomes == {"0001": "symmetric", "0002": "failed", "0003": "failed", "0004": "failed",
                        "0005": "irreversible", "0006": "symmetric"}, r.output
    assert doc["counts"] == {"symmetric": 2, "asymmetric": 0, "failed": 3, "irreversible": 1, "unchecked": 0}
    assert any("rebuilt" in n for n in doc["notes"])  # after 0003's half-done no-transaction rollback
    assert r.exit_code == 1
    text = Cli(dsn, d)("verify").stdout
    assert "6 of 6 checked: 2 symmetric, 0 asymmetric, 3 failed, 1 irreversible, 0 unchecked" in text
    assert "verify 0005 e: irreversible (rollback has no statement)" in text


def test_a_given_scratch_database_is_not_rebuilt_and_says_what_went_unchecked(tmp_path, dsn, db):
    d = write_set(tmp_path / "stops", {
        "migrations/0001_a.sql": "-- schemadb:no-transaction\nCREATE TABLE public.a (id int);\n",
        "rollback/0001_a.sql": "-- schemadb:no-transaction\nDROP TABLE public.a;\nSELECT 1/0;\n",
        "migrations/0002_b.sql": "CREATE TABLE public.b (id int);\n",
        "rollback/0002_b.sql": "DROP TABLE public.b;\n",
        "migrations/0003_c.sql": "CREATE TABLE public.c (id int);\n",
        "rollback/0003_c.sql": "DROP TABLE public.c;\n",
    })
    name = f"{db.info.dbname}_scratch"
    db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        r = Cli(dsn, d)("verify", "--scratch-dsn", make_dsn(name), "--json")
        doc = json.loads(r.stdout)
        assert r.exit_code == 1
        assert doc["failed"] == ["0001"] and doc["unchecked"] == ["0002", "0003"]
        assert any("went unchecked" in n for n in doc["notes"])
    finally:
        db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_a_long_definition_is_shown_as_a_unified_diff(tmp_path, dsn):
    body = "\n".join(f"    + {i}" for i in range(30))
    d = write_set(tmp_path / "long", {
        "migrations/0001_f.sql": f"CREATE FUNCTION public.f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a\n{body}\n"
                                 "    + 1 $$;\n",
        "rollback/0001_f.sql": "DROP FUNCTION public.f(int);\n",
        "migrations/0002_g.sql": f"CREATE OR REPLACE FUNCTION public.f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a\n"
                                 f"{body}\n    + 2 $$;\n",
        "rollback/0002_g.sql": f"CREATE OR REPLACE FUNCTION public.f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a\n"
                               f"{body}\n    + 3 $$;\n",
    })
    r = Cli(dsn, d)("verify")
    assert r.exit_code == 1
    assert "function public.f(a integer): definition differs" in r.stdout
    assert "-    + 1 $function$" in r.stdout and "+    + 3 $function$" in r.stdout  # the last terms, not cut off
    doc = json.loads(Cli(dsn, d)("verify", "--json").stdout)
    d2 = doc["migrations"][1]["differences"][0]
    assert d2["before"].rstrip().endswith("+ 1 $function$") and d2["after"].rstrip().endswith("+ 3 $function$")


def test_column_order_is_its_own_kind_and_can_be_ignored(tmp_path, dsn):
    d = write_set(tmp_path / "order", {
        "migrations/0001_t.sql": "CREATE TABLE public.t (a int, b int, c int);\n",
        "rollback/0001_t.sql": "DROP TABLE public.t;\n",
        "migrations/0002_drop_b.sql": "ALTER TABLE public.t DROP COLUMN b;\n",
        "rollback/0002_drop_b.sql": "ALTER TABLE public.t ADD COLUMN b int;\n",
    })
    r = Cli(dsn, d)("verify")
    assert r.exit_code == 1
    assert "table public.t: column order differs: (a, b, c) → (a, c, b)" in r.stdout
    r = Cli(dsn, d)("verify", "--ignore", "column-order")
    assert r.exit_code == 0, r.output


def test_from_and_to_prove_part_of_a_long_history(tmp_path, dsn):
    files = {}
    for i in range(1, 7):
        files[f"migrations/{i:04d}_t{i}.sql"] = f"CREATE TABLE public.t{i} (id int);\n"  # noqa: S608
        files[f"rollback/{i:04d}_t{i}.sql"] = "SELECT 1;\n" if i == 2 else f"DROP TABLE public.t{i};\n"
    d = write_set(tmp_path / "window", files)
    r = Cli(dsn, d)("verify", "--from", "0003", "--to", "0005", "--json")
    assert r.exit_code == 0, r.output  # 0002's bad rollback is before the window
    doc = json.loads(r.stdout)
    assert [m["version"] for m in doc["migrations"]] == ["0003", "0004", "0005"]
    assert Cli(dsn, d)("verify", "--from", "0002", "--to", "0002").exit_code == 1
    r = Cli(dsn, d)("verify", "--from", "0009")
    assert r.exit_code == 2 and "--from: no migration with version 0009" in r.stderr


@pytest.mark.parametrize("full", [False, True])
def test_incremental_and_full_snapshots_agree_on_the_reference_schema(dsn, full):
    args = ["verify", "--json"] + (["--full-snapshots"] if full else [])
    r = Cli(dsn, None)(*args)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["mode"] == ("full" if full else "incremental")
    assert doc["missed"] == []


def test_roles_are_cluster_wide_and_reported_as_warnings(tmp_path, dsn, db):
    d = write_set(tmp_path / "roles", {
        "migrations/0001_role.sql": "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                                    "'schemadb_verify_test_role') THEN CREATE ROLE schemadb_verify_test_role; END IF; "
                                    "END $$;\n",
        "rollback/0001_role.sql": "SELECT 1;\n",
    })
    try:
        r = Cli(dsn, d)("verify", "--json")
        assert r.exit_code == 0, r.output  # a warning, not an asymmetry
        doc = json.loads(r.stdout)
        warnings = [w["message"] for w in doc["migrations"][0]["warnings"]]
        assert any("role schemadb_verify_test_role: left behind by the rollback" in w for w in warnings)
        db.execute("DROP ROLE schemadb_verify_test_role")
        assert "warning: 0001 role: role schemadb_verify_test_role: left behind" in Cli(dsn, d)("verify").stdout
    finally:
        db.execute("DROP ROLE IF EXISTS schemadb_verify_test_role")
