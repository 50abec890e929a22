"""schemadb lint: every rule flagged and its safe twin, judged statically and with a DSN; the premises checked on
the real server; the context (same file, earlier pending file, applied earlier, small table); allow directives;
the migrate gate; the reference schema clean."""

import json

import psycopg
import pytest

from conftest import Cli, write_set

NT = "-- schemadb:no-transaction\n"
SETUP = """CREATE TABLE public.big (id bigint PRIMARY KEY, v int, s text, c varchar(20), n int,
                         w varchar(10) CHECK (w <> ''), CONSTRAINT n_nn CHECK (n IS NOT NULL));
INSERT INTO public.big SELECT g, g, 'x', 'y', g, 'w' FROM generate_series(1, 3000) g;
CREATE INDEX big_v_idx ON public.big (v);
CREATE TABLE public.other (id bigint PRIMARY KEY);
INSERT INTO public.other SELECT g FROM generate_series(1, 3000) g;
CREATE MATERIALIZED VIEW public.mv AS SELECT id FROM public.big;
CREATE UNIQUE INDEX mv_id ON public.mv (id);
CREATE TYPE public.mood AS ENUM ('ok');
CREATE DOMAIN public.pos AS int;
CREATE TABLE public.parted (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE public.parted_2020 PARTITION OF public.parted FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
INSERT INTO public.parted SELECT g, '2020-06-01' FROM generate_series(1, 3000) g;
CREATE TABLE public.loose (id int, at date);
INSERT INTO public.loose SELECT g, '2021-06-01' FROM generate_series(1, 3000) g;
ANALYZE;
"""
SETUP_DOWN = ("DROP TABLE public.big, public.other, public.parted, public.loose CASCADE; DROP TYPE public.mood;"
              " DROP DOMAIN public.pos;\n")

# rule: ([flagged migrations], [safe twins]); a text starting with NT runs without a transaction
CASES = {
    "require-concurrent-index-creation": (["CREATE INDEX big_s ON public.big (s);"],
                                          [NT + "CREATE INDEX CONCURRENTLY big_s ON public.big (s);"]),
    "require-concurrent-index-deletion": (["DROP INDEX public.big_v_idx;"],
                                          [NT + "DROP INDEX CONCURRENTLY public.big_v_idx;"]),
    "require-concurrent-reindex": (["REINDEX INDEX public.big_v_idx;"],
                                   [NT + "REINDEX INDEX CONCURRENTLY public.big_v_idx;"]),
    "require-concurrent-refresh": (["REFRESH MATERIALIZED VIEW public.mv;"],
                                   ["REFRESH MATERIALIZED VIEW CONCURRENTLY public.mv;"]),
    "require-concurrent-partition-detach": (
        ["ALTER TABLE public.parted DETACH PARTITION public.parted_2020;"],
        [NT + "ALTER TABLE public.parted DETACH PARTITION public.parted_2020 CONCURRENTLY;"]),
    "constraint-missing-not-valid": (
        ["ALTER TABLE public.big ADD CONSTRAINT v_pos CHECK (v > 0);",
         "ALTER TABLE public.big ADD CONSTRAINT v_pos CHECK (v > 0) NOT VALID;\n"
         "ALTER TABLE public.big VALIDATE CONSTRAINT v_pos;"],
        ["ALTER TABLE public.big ADD CONSTRAINT v_pos CHECK (v > 0) NOT VALID;",
         NT + "ALTER TABLE public.big ADD CONSTRAINT v_pos CHECK (v > 0) NOT VALID;\n"
         "ALTER TABLE public.big VALIDATE CONSTRAINT v_pos;"]),
    "adding-foreign-key-constraint": (
        ["ALTER TABLE public.big ADD CONSTRAINT big_fk FOREIGN KEY (n) REFERENCES public.other (id);",
         "ALTER TABLE public.big ADD COLUMN o bigint DEFAULT 1 REFERENCES public.other (id);"],
        ["ALTER TABLE public.big ADD CONSTRAINT big_fk FOREIGN KEY (n) REFERENCES public.other (id) NOT VALID;",
         "ALTER TABLE public.big ADD COLUMN o bigint REFERENCES public.other (id);"]),
    "disallowed-unique-constraint": (
        ["ALTER TABLE public.big ADD CONSTRAINT big_s_key UNIQUE (s);"],
        [NT + "CREATE UNIQUE INDEX CONCURRENTLY big_n_key ON public.big (n);\n"
              "ALTER TABLE public.big ADD CONSTRAINT big_n_key UNIQUE USING INDEX big_n_key;"]),
    "adding-serial-primary-key-field": (
        ["ALTER TABLE public.loose ADD PRIMARY KEY (id);"],
        [NT + "CREATE UNIQUE INDEX CONCURRENTLY loose_id ON public.loose (id);\n"
              "ALTER TABLE public.loose ADD CONSTRAINT loose_pk PRIMARY KEY USING INDEX loose_id;"]),
    "adding-exclusion-constraint": (
        ["ALTER TABLE public.big ADD CONSTRAINT ex EXCLUDE USING btree (v WITH =);"],
        ["CREATE TABLE public.t2 (v int);\nALTER TABLE public.t2 ADD CONSTRAINT ex EXCLUDE USING btree (v WITH =);"]),
    "ban-alter-domain-with-add-constraint": (
        ["ALTER DOMAIN public.pos ADD CONSTRAINT pos_check CHECK (VALUE > 0);"],
        ["ALTER DOMAIN public.pos ADD CONSTRAINT pos_check CHECK (VALUE > 0) NOT VALID;"]),
    "adding-not-nullable-field": (
        ["ALTER TABLE public.big ALTER COLUMN v SET NOT NULL;",
         NT + "CREATE UNIQUE INDEX CONCURRENTLY loose_id ON public.loose (id);\n"
              "ALTER TABLE public.loose ADD CONSTRAINT loose_pk PRIMARY KEY USING INDEX loose_id;"],
        ["ALTER TABLE public.big ALTER COLUMN n SET NOT NULL;"]),  # n has a validated CHECK (n IS NOT NULL)
    "adding-field-with-default": (
        ["ALTER TABLE public.big ADD COLUMN r float DEFAULT random();",
         "ALTER TABLE public.big ADD COLUMN sid bigserial;",
         "ALTER TABLE public.big ADD COLUMN g int GENERATED ALWAYS AS (v * 2) STORED;",
         "ALTER TABLE public.big ADD COLUMN i int GENERATED ALWAYS AS IDENTITY;"],
        ["ALTER TABLE public.big ADD COLUMN k int DEFAULT 0;",
         "ALTER TABLE public.big ADD COLUMN t timestamptz DEFAULT now();"]),
    "changing-column-type": (
        ["ALTER TABLE public.big ALTER COLUMN v TYPE bigint;",
         "ALTER TABLE public.big ALTER COLUMN w TYPE varchar(20);"],  # binary-coercible, but its CHECK re-runs
        ["ALTER TABLE public.big ALTER COLUMN c TYPE varchar(40);",
         "ALTER TABLE public.big ALTER COLUMN c TYPE text;"]),
    "rewrites-table": (
        [NT + "VACUUM FULL public.big;", "CLUSTER public.big USING big_pkey;",
         "ALTER TABLE public.big SET UNLOGGED;"],
        [NT + "VACUUM public.big;", "ANALYZE public.big;"]),
    "attach-partition-scan": (
        ["ALTER TABLE public.parted ATTACH PARTITION public.loose FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');"],
        ["ALTER TABLE public.loose ADD CONSTRAINT loose_at CHECK (at >= '2021-01-01' AND at < '2022-01-01');\n"
         "ALTER TABLE public.parted ATTACH PARTITION public.loose FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');"]),
    "backfill-in-ddl-transaction": (
        ["ALTER TABLE public.big ADD COLUMN z int;\nUPDATE public.big SET z = 1;"],
        [NT + "ALTER TABLE public.big ADD COLUMN z int;\nUPDATE public.big SET z = 1;"]),
    "lock-timeout-overridden": (
        ["SET lock_timeout = 0;", "RESET lock_timeout;", "SET lock_timeout = '10s';"],
        ["SET lock_timeout = '100ms';", "SET statement_timeout = '1min';"]),
    "ban-concurrent-index-creation-in-transaction": (
        ["CREATE INDEX CONCURRENTLY big_s2 ON public.big (s);",
         NT + "BEGIN;\nCREATE INDEX CONCURRENTLY big_s2 ON public.big (s);\nCOMMIT;"],
        [NT + "CREATE INDEX CONCURRENTLY big_s2 ON public.big (s);"]),
    "no-transaction-required": (
        ["DROP INDEX CONCURRENTLY public.big_v_idx;", "VACUUM public.big;"],
        [NT + "DROP INDEX CONCURRENTLY public.big_v_idx;", NT + "VACUUM public.big;"]),
    "adding-required-field": (["ALTER TABLE public.big ADD COLUMN req int NOT NULL;"],
                              ["ALTER TABLE public.big ADD COLUMN req int NOT NULL DEFAULT 0;"]),
    "enum-value-used-in-same-transaction": (
        ["ALTER TYPE public.mood ADD VALUE 'sad';\nSELECT 'sad'::public.mood;"],
        [NT + "ALTER TYPE public.mood ADD VALUE 'sad';\nSELECT 'sad'::public.mood;",
         "CREATE TYPE public.m2 AS ENUM ('a');\nALTER TYPE public.m2 ADD VALUE 'b';\nSELECT 'b'::public.m2;"]),
    "transaction-nesting": (["BEGIN;\nSELECT 1;\nCOMMIT;"], [NT + "BEGIN;\nSELECT 1;\nCOMMIT;"]),
    "ban-uncommitted-transaction": ([NT + "BEGIN;\nSELECT 1;"], [NT + "BEGIN;\nSELECT 1;\nCOMMIT;"]),
    "renaming-column": (["ALTER TABLE public.big RENAME COLUMN s TO s2;"],
                        ["CREATE TABLE public.t3 (a int);\nALTER TABLE public.t3 RENAME COLUMN a TO b;"]),
    "renaming-table": (["ALTER TABLE public.big RENAME TO big2;"],
                       ["CREATE TABLE public.t3 (a int);\nALTER TABLE public.t3 RENAME TO t4;"]),
    "renaming-schema": (["ALTER SCHEMA public RENAME TO p2;"],
                        ["CREATE SCHEMA s9;\nALTER SCHEMA s9 RENAME TO s10;"]),
    "renaming-enum-value": (["ALTER TYPE public.mood RENAME VALUE 'ok' TO 'fine';"],
                            ["CREATE TYPE public.m2 AS ENUM ('a');\nALTER TYPE public.m2 RENAME VALUE 'a' TO 'b';"]),
    "ban-drop-column": (["ALTER TABLE public.big DROP COLUMN s;"],
                        ["CREATE TABLE public.t3 (a int, b int);\nALTER TABLE public.t3 DROP COLUMN b;",
                         "ALTER TABLE public.big ADD COLUMN tmp int;\nALTER TABLE public.big DROP COLUMN tmp;"]),
    "ban-drop-table": (["DROP TABLE public.loose;"], ["CREATE TABLE public.t4 (a int);\nDROP TABLE public.t4;"]),
    "ban-drop-database": ([NT + "DROP DATABASE IF EXISTS schemadb_lint_nothing_here;"], []),
    "ban-truncate-cascade": (["TRUNCATE public.other CASCADE;"], ["TRUNCATE public.other;"]),
}
BREAKING = {"renaming-column", "renaming-table", "renaming-schema", "renaming-enum-value", "ban-drop-column",
            "ban-drop-table", "ban-drop-database", "ban-truncate-cascade"}


def project(tmp_path, second: str, down: str = "SELECT 1; -- nothing to undo in these tests\n"):
    return write_set(tmp_path, {"migrations/0001_setup.sql": SETUP, "rollback/0001_setup.sql": SETUP_DOWN,
                                "migrations/0002_change.sql": second + "\n", "rollback/0002_change.sql": down})


def lint_json(cli, *args):
    r = cli("lint", "--json", *args)
    assert r.exit_code in (0, 3), r.output
    out = json.loads(r.stdout)
    assert out["counts"]["error"] == sum(1 for f in out["findings"] if f["severity"] == "error"
                                         and "allowed" not in f)
    return r.exit_code, out


def rules_in(out, file="migrations/0002_change.sql"):
    return {f["rule"] for f in out["findings"] if f["file"] == file}


CASE_PARAMS = [(rule, i, text, True) for rule, (bad, _) in CASES.items() for i, text in enumerate(bad)] + \
              [(rule, i, text, False) for rule, (_, good) in CASES.items() for i, text in enumerate(good)]


@pytest.mark.parametrize("rule,i,text,flagged", CASE_PARAMS,
                         ids=[f"{r}-{'bad' if f else 'safe'}{i}" for r, i, _, f in CASE_PARAMS])
def test_rule_static(tmp_path, rule, i, text, flagged):
    cli = Cli(None, project(tmp_path, text))
    code, out = lint_json(cli)
    assert (rule in rules_in(out)) is flagged, out["findings"]
    if flagged:
        f = next(f for f in out["findings"] if f["rule"] == rule)
        assert f["severity"] == ("warning" if rule in BREAKING else "error")
        assert f["line"] >= 1 and f["message"] and f["fix"]
        assert code == (0 if rule in BREAKING else 3)


@pytest.mark.parametrize("rule,i,text,flagged", CASE_PARAMS,
                         ids=[f"{r}-{'bad' if f else 'safe'}{i}" for r, i, _, f in CASE_PARAMS])
def test_rule_with_dsn(tmp_path, dsn, rule, i, text, flagged):
    d = project(tmp_path, text)
    cli = Cli(dsn, d)
    assert cli("migrate", "--target", "0001").exit_code == 0
    _, out = lint_json(cli)
    assert out["mode"] == "pending" and out["catalog"] is True
    assert (rule in rules_in(out)) is flagged, out["findings"]


def test_breaking_rules_are_errors_with_strict(tmp_path):
    cli = Cli(None, project(tmp_path, "ALTER TABLE public.big DROP COLUMN s;"))
    assert cli("lint").exit_code == 0
    r = cli("lint", "--strict", "--json")
    assert r.exit_code == 3 and json.loads(r.stdout)["findings"][0]["severity"] == "error"


# --- the premises, on the real server ----------------------------------------------------------------------


def _filenode(db, table="public.big"):
    return db.execute("SELECT relfilenode FROM pg_class WHERE oid = %s::regclass", (table,)).fetchone()[0]


@pytest.mark.parametrize("stmt,rewrites", [
    ("ALTER TABLE public.big ADD COLUMN r float DEFAULT random()", True),
    ("ALTER TABLE public.big ADD COLUMN k int DEFAULT 0", False),
    ("ALTER TABLE public.big ADD COLUMN t timestamptz DEFAULT now()", False),
    ("ALTER TABLE public.big ADD COLUMN sid bigserial", True),
    ("ALTER TABLE public.big ALTER COLUMN v TYPE bigint", True),
    ("ALTER TABLE public.big ALTER COLUMN c TYPE varchar(40)", False),
    ("ALTER TABLE public.big ALTER COLUMN c TYPE text", False),
    ("ALTER TABLE public.big SET UNLOGGED", True),
])
def test_premise_rewrite_shows_as_a_new_relfilenode(tmp_path, dsn, db, stmt, rewrites):
    Cli(dsn, project(tmp_path, "SELECT 1;"))("migrate", "--target", "0001")
    before = _filenode(db)
    db.execute(stmt)
    assert (_filenode(db) != before) is rewrites
    flagged = Cli(None, project(tmp_path / "p", stmt + ";"))
    _, out = lint_json(flagged)
    assert bool(rules_in(out) & {"adding-field-with-default", "changing-column-type", "rewrites-table"}) is rewrites


def test_premise_plain_create_index_blocks_writers_and_concurrently_refuses_a_transaction(tmp_path, dsn, db):
    Cli(dsn, project(tmp_path, "SELECT 1;"))("migrate", "--target", "0001")
    with psycopg.connect(dsn) as ddl, psycopg.connect(dsn, autocommit=True) as app:
        ddl.execute("CREATE INDEX big_s ON public.big (s)")  # open: holds its lock until commit
        modes = {r[0] for r in app.execute("SELECT mode FROM pg_locks WHERE relation = 'public.big'::regclass"
                                           " AND pid = %s", (ddl.info.backend_pid,))}
        assert "ShareLock" in modes  # conflicts with every writer's RowExclusiveLock
        app.execute("SET lock_timeout = '100ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            app.execute("INSERT INTO public.big (id) VALUES (99999)")
        ddl.rollback()
        with pytest.raises(psycopg.errors.ActiveSqlTransaction), ddl.transaction():
            ddl.execute("CREATE INDEX CONCURRENTLY big_s ON public.big (s)")


def test_premise_enum_value_in_same_transaction_and_required_field_fail(tmp_path, dsn, db):
    Cli(dsn, project(tmp_path, "SELECT 1;"))("migrate", "--target", "0001")
    with psycopg.connect(dsn) as c:
        c.execute("ALTER TYPE public.mood ADD VALUE 'sad'")
        with pytest.raises(psycopg.errors.UnsafeNewEnumValueUsage):
            c.execute("SELECT 'sad'::public.mood")
    with psycopg.connect(dsn) as c, pytest.raises(psycopg.errors.NotNullViolation):
        c.execute("ALTER TABLE public.big ADD COLUMN req int NOT NULL")


# --- context ------------------------------------------------------------------------------------------------


def test_table_created_earlier_in_the_same_file_or_pending_run_is_new(tmp_path, dsn):
    d = write_set(tmp_path, {
        "migrations/0001_t.sql": "CREATE TABLE public.t (id int, s text);\nCREATE INDEX t_s ON public.t (s);\n",
        "rollback/0001_t.sql": "DROP TABLE public.t;\n",
        "migrations/0002_i.sql": "CREATE INDEX t_id ON public.t (id);\nALTER TABLE public.t ALTER COLUMN s SET NOT NULL;\n",
        "rollback/0002_i.sql": "DROP INDEX public.t_id;\n"})
    cli = Cli(None, d)
    _, out = lint_json(cli)  # each file alone: 0002 sees public.t as existing, large and busy
    assert rules_in(out, "migrations/0001_t.sql") == set()
    assert rules_in(out, "migrations/0002_i.sql") == {"require-concurrent-index-creation", "adding-not-nullable-field"}
    # the same two files as one pending run (FILE mode): 0001's table is new for 0002 too
    _, out = lint_json(cli, str(d / "migrations/0001_t.sql"), str(d / "migrations/0002_i.sql"))
    assert [f for f in out["findings"] if f["severity"] == "error"] == []
    # 0002 alone as FILE: the migrations before it in --dir exist
    _, out = lint_json(cli, str(d / "migrations/0002_i.sql"))
    assert {f["rule"] for f in out["findings"]} == {"require-concurrent-index-creation", "adding-not-nullable-field"}
    # against a database where 0001 is applied and the table holds rows: flagged; when it is small: not
    db_cli = Cli(dsn, d)
    db_cli("migrate", "--target", "0001")
    _, out = lint_json(db_cli)
    assert rules_in(out, "migrations/0002_i.sql") == set()  # an empty table is small
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("INSERT INTO public.t SELECT g, 'x' FROM generate_series(1, 5000) g")
        c.execute("ANALYZE public.t")
    _, out = lint_json(db_cli)
    assert rules_in(out, "migrations/0002_i.sql") == {"require-concurrent-index-creation", "adding-not-nullable-field"}


def test_rollback_files_are_judged_by_lock_and_failure_rules_only(tmp_path):
    d = project(tmp_path, NT + "CREATE INDEX CONCURRENTLY big_s ON public.big (s);",
                "DROP INDEX public.big_s;\nDROP TABLE public.loose;\nALTER TABLE public.big DROP COLUMN s;\n")
    _, out = lint_json(Cli(None, d))
    assert rules_in(out, "rollback/0002_change.sql") == {"require-concurrent-index-deletion"}


def test_allow_directive_needs_a_reason_and_must_match(tmp_path):
    text = ("-- schemadb:allow require-concurrent-index-creation the table has 40 rows in every deployment\n"
            "CREATE INDEX big_s ON public.big (s);\n"
            "-- schemadb:allow changing-column-type\n"
            "ALTER TABLE public.big ALTER COLUMN v TYPE bigint;\n"
            "-- schemadb:allow rewrites-table nothing here rewrites\n"
            "ALTER TABLE public.big ADD COLUMN k int;\n"
            "-- schemadb:allow no-such-rule because\n"
            "SELECT 1;\n")
    code, out = lint_json(Cli(None, project(tmp_path, text)))
    by_rule = {f["rule"]: f for f in out["findings"]}
    assert by_rule["require-concurrent-index-creation"]["allowed"] == "the table has 40 rows in every deployment"
    assert "allowed" not in by_rule["changing-column-type"]  # no reason: not allowed
    assert by_rule["allow-without-reason"]["line"] == 3 and by_rule["allow-without-reason"]["severity"] == "warning"
    assert by_rule["unused-allow"]["line"] == 5
    assert by_rule["unknown-rule"]["line"] == 7
    assert code == 3 and out["counts"]["allowed"] == 1


def test_text_and_github_formats(tmp_path):
    cli = Cli(None, project(tmp_path, "SELECT 1;\nCREATE INDEX big_s ON public.big (s);"))
    r = cli("lint")
    assert r.exit_code == 3
    lines = r.stdout.splitlines()
    assert lines[0].startswith("migrations/0002_change.sql:2:1: require-concurrent-index-creation: CREATE INDEX on "
                               "public.big blocks its writes")
    assert lines[1].startswith("    fix: build it with CREATE INDEX CONCURRENTLY")
    r = cli("lint", "--format", "github")
    assert r.stdout.startswith("::error file=migrations/0002_change.sql,line=2,col=1,"
                               "title=require-concurrent-index-creation::")


# --- the migrate gate and validate -----------------------------------------------------------------------------


def test_migrate_refuses_on_errors_and_applies_nothing(tmp_path, dsn, db):
    d = project(tmp_path, "ALTER TABLE public.big ADD COLUMN k int;\nCREATE INDEX big_s ON public.big (s);")
    cli = Cli(dsn, d)
    assert cli("migrate", "--target", "0001").exit_code == 0
    r = cli("migrate")
    assert r.exit_code == 3
    assert "migrations/0002_change.sql:2:1: require-concurrent-index-creation" in r.stderr
    assert "fix: build it with CREATE INDEX CONCURRENTLY" in r.stderr
    assert db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == "0001"
    assert db.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'big'"
                      " AND column_name = 'k'").fetchone()[0] == 0
    r = cli("validate")
    assert r.exit_code == 3 and "require-concurrent-index-creation" in r.stdout
    r = cli("migrate", "--no-lint")  # the emergency exit, recorded
    assert r.exit_code == 0, r.output
    notes = db.execute("SELECT notes FROM schema_migrations_log WHERE version = '0002' AND outcome = 'ok'"
                       ).fetchone()[0]
    assert notes["lint"] == "skipped (--no-lint)"


def test_migrate_records_allowed_findings_with_their_reason(tmp_path, dsn, db):
    d = project(tmp_path, "-- schemadb:allow require-concurrent-index-creation built during the weekly window\n"
                          "CREATE INDEX big_s ON public.big (s);")
    cli = Cli(dsn, d)
    cli("migrate", "--target", "0001")
    r = cli("migrate")
    assert r.exit_code == 0, r.output
    notes = db.execute("SELECT notes FROM schema_migrations_log WHERE version = '0002' AND outcome = 'ok'"
                       ).fetchone()[0]
    assert notes["lint_allowed"] == [{"rule": "require-concurrent-index-creation", "file": "migrations/0002_change.sql",
                                      "line": 2, "reason": "built during the weekly window"}]


def test_allow_directive_does_not_change_the_checksum(tmp_path, dsn, db):
    d = project(tmp_path, "CREATE TABLE public.n1 (id int);")
    cli = Cli(dsn, d)
    assert cli("migrate").exit_code == 0
    f = d / "migrations/0002_change.sql"
    f.write_text("-- schemadb:allow ban-drop-table explained later\n" + f.read_text())
    r = cli("status", "--json")
    assert json.loads(r.stdout)["counts"]["changed"] == 0



def test_positions_are_right_in_files_that_differ_only_by_allow_lines(tmp_path):
    """The two files have the same checksum (allow lines are left out of it), never the same positions."""
    with_allow = tmp_path / "with_allow.sql"
    with_allow.write_text("-- schemadb:allow rewrites-table the nightly window\nALTER TABLE public.big SET LOGGED;\n")
    without = tmp_path / "without.sql"
    without.write_text("ALTER TABLE public.big SET LOGGED;\n")
    cli = Cli(None, None)
    code, out = lint_json(cli, str(with_allow))
    assert code == 0 and out["findings"][0]["line"] == 2
    code, out = lint_json(cli, str(without))
    assert code == 3 and [(f["rule"], f["line"]) for f in out["findings"]] == [("rewrites-table", 1)]

# --- the reference schema ------------------------------------------------------------------------------------


def test_reference_schema_lints_clean_alone_and_against_a_fresh_database(dsn):
    r = Cli(None, None)("lint", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["findings"] == [], r.stdout
    r = Cli(dsn, None)("lint", "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["mode"] == "pending" and out["findings"] == [], r.stdout


def test_a_file_that_gains_an_allow_line_after_the_scan_is_not_run_with_stale_positions(tmp_path):
    """The checksum leaves allow lines out, but the statements' cached positions count them: a file edited between
    the scan and its run (even by an allow line alone) is refused, never run with the old positions."""
    import pytest

    from schemadb.migrations import FileChanged, scan

    d = project(tmp_path, "ALTER TABLE public.big ADD COLUMN k int;")
    m = scan(d).by_key()[2]
    f = d / "migrations/0002_change.sql"
    before = m.up.checksum
    f.write_text("-- schemadb:allow rewrites-table added after the scan\n" + f.read_text())
    assert scan(d).by_key()[2].up.checksum == before  # the same migration, for the history
    with pytest.raises(FileChanged):
        m.up.read_bytes()
