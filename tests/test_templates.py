"""`schemadb new --template`: every built-in template rendered with typical variables passes lint on a populated
table, migrates while the application writes, rolls back and verifies symmetric; bad variables, unknown templates
and hostile identifiers are refused or quoted; a project's own templates; CREATE INDEX CONCURRENTLY on a
partitioned table, partition by partition, resumed after a kill at the partition where it stopped."""

import json
import signal
import threading
import time

import psycopg
import pytest

from conftest import Cli, spawn, write_set

BASE = """CREATE SCHEMA app;
CREATE TYPE app.status AS ENUM ('open', 'closed');
CREATE TABLE app.customers (id bigint PRIMARY KEY, email text);
CREATE TABLE app.orders (id bigint PRIMARY KEY, customer_id bigint, note text, amount int, qty int,
                         status app.status, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO app.customers SELECT g, 'c' || g || '@example.org' FROM generate_series(1, 3000) g;
INSERT INTO app.orders SELECT g, 1 + g % 3000, 'n' || g, g % 100, g % 7, 'open', now()
  FROM generate_series(1, 20000) g;
ANALYZE app.customers, app.orders;
"""

CASES = {
    "add-index": ["--set", "table=app.orders", "--set", "columns=note,amount DESC NULLS LAST",
                  "--set", "where=amount > 10"],
    "drop-index": ["--set", "table=app.orders", "--set", "columns=customer_id", "--set", "name=orders_cust_idx"],
    "add-foreign-key": ["--set", "table=app.orders", "--set", "columns=customer_id", "--set", "ref_table=app.customers",
                        "--set", "on_delete=cascade"],
    "add-check": ["--set", "table=app.orders", "--set", "check=amount >= 0"],
    "add-not-null": ["--set", "table=app.orders", "--set", "column=note"],
    "add-unique": ["--set", "table=app.customers", "--set", "columns=email"],
    "add-column": ["--set", "table=app.orders", "--set", "column=token", "--set", "type=uuid",
                   "--set", "default=gen_random_uuid()", "--set", "not_null=true", "--set", "batch_size=3000"],
    "change-column-type": ["--set", "table=app.orders", "--set", "column=qty", "--set", "type=bigint"],
    "create-table": ["--set", "table=app.events", "--set", "comment=what happened"],
    "create-partitioned-table": ["--set", "table=app.metrics", "--set", "column=at"],
    "add-enum-value": ["--set", "type=app.status", "--set", "value=pending", "--set", "before=closed"],
}
IRREVERSIBLE = {"change-column-type": 1, "add-enum-value": 1}  # migrations PostgreSQL cannot undo


def base_project(tmp_path, extra: str = ""):
    return write_set(tmp_path / "p", {
        "migrations/0001_base.sql": BASE + extra, "rollback/0001_base.sql": "DROP SCHEMA app CASCADE;\n"})


class Writer:
    """The application: inserts and updates app.orders without pause, timing each statement."""

    def __init__(self, dsn, sql="UPDATE app.orders SET amount = amount WHERE id = %s"):
        self.dsn, self.sql, self.stop, self.worst, self.count, self.errors = dsn, sql, threading.Event(), 0.0, 0, []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        with psycopg.connect(self.dsn, autocommit=True) as c:
            i = 0
            while not self.stop.is_set():
                i += 1
                t0 = time.monotonic()
                try:
                    c.execute(self.sql, (1 + i % 20000,))
                except psycopg.Error as e:  # a column swapped or dropped under it is the test's business
                    self.errors.append(e.sqlstate)
                self.worst = max(self.worst, time.monotonic() - t0)
                self.count += 1
                time.sleep(0.002)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


def new(cli, name, template, args):
    r = cli("new", name, "--template", template, *args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["files"]


@pytest.mark.parametrize("template", sorted(CASES))
def test_each_template_lints_clean_migrates_under_writes_rolls_back_and_verifies(template, tmp_path, dsn, db):
    d = base_project(tmp_path, "CREATE INDEX orders_cust_idx ON app.orders (customer_id);\n"
                     if template == "drop-index" else "")
    cli = Cli(dsn, d)
    assert cli("migrate", "-q").exit_code == 0
    files = new(cli, "change", template, CASES[template])
    assert [f["version"] for f in files] == [f"{2 + i:04d}" for i in range(len(files))]
    # lint, with the catalog: the tables are populated (not small), nothing is flagged
    r = cli("lint", "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and [f for f in out["findings"] if "allowed" not in f
                                 and f["rule"] != "unused-allow"] == [], r.stdout
    # and each file alone, as production would see it
    r = Cli(None, d)("lint", "--json")
    assert r.exit_code == 0 and [f for f in json.loads(r.stdout)["findings"] if "allowed" not in f] == [], r.stdout
    before = snapshot(db)
    with Writer(dsn) as w:
        r = cli("migrate")
    assert r.exit_code == 0, r.output
    assert w.count > 0 and (template == "change-column-type" or not w.errors), w.errors
    version = files[-1]["version"]
    assert db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == version
    if template not in IRREVERSIBLE:
        r = cli("rollback", "--target", "0001", "--yes")
        assert r.exit_code == 0, r.output
        assert snapshot(db) == before
    r = cli("verify", "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 0, r.stdout
    assert doc["counts"]["asymmetric"] == 0 and doc["counts"]["failed"] == 0
    assert doc["counts"]["irreversible"] == IRREVERSIBLE.get(template, 0)
    # a second render takes the next free versions
    again = new(cli, "again", template, CASES[template]) if template not in ("create-table", "create-partitioned-table") \
        else new(cli, "again", template, ["--set", "table=app.other"])
    assert again[0]["version"] == f"{int(version) + 1:04d}"


def test_index_columns_take_their_ordering_and_the_predicate_its_own_line(tmp_path):
    d = base_project(tmp_path)
    new(Cli(None, d), "queue_idx", "add-index", ["--set", "table=app.orders", "--set", "name=queue_idx", "--set",
                                                 'columns=status, amount desc, created_at ASC NULLS FIRST, "Odd desc" DESC',
                                                 "--set", "where=status = 'open'"])
    text = (d / "migrations/0002_queue_idx.sql").read_text()
    assert ('ON app.orders (status, amount DESC, created_at ASC NULLS FIRST, "Odd desc" DESC)\n'
            "    WHERE status = 'open';\n") in text
    # anything else after a name stays part of that one name (quoted), never SQL
    new(Cli(None, d), "odd_idx", "add-index", ["--set", "table=app.orders", "--set", "name=odd_idx",
                                               "--set", "columns=amount DESC; DROP TABLE app.orders"])
    assert '(amount DESC; DROP TABLE app.orders")' not in (d / "migrations/0003_odd_idx.sql").read_text()
    assert '("amount DESC; DROP TABLE app.orders");' in (d / "migrations/0003_odd_idx.sql").read_text()


def snapshot(db):
    return db.execute("""
        SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
          SELECT format('col %s.%s %s %s %s', attrelid::regclass, attname, format_type(atttypid, atttypmod),
                        attnotnull, pg_get_expr(d.adbin, d.adrelid))
            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'app'::regnamespace)
             AND attnum > 0 AND NOT attisdropped
          UNION ALL SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
            FROM pg_constraint WHERE connamespace = 'app'::regnamespace
          UNION ALL SELECT format('idx %s %s', indexrelid::regclass, pg_get_indexdef(indexrelid))
            FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'app'::regnamespace)
          UNION ALL SELECT format('rel %s %s', oid::regclass, relkind) FROM pg_class
           WHERE relnamespace = 'app'::regnamespace
          UNION ALL SELECT format('enum %s', enumlabel) FROM pg_enum
          UNION ALL SELECT format('fn %s', oid::regprocedure) FROM pg_proc WHERE pronamespace = 'app'::regnamespace
        ) s(x)""").fetchone()[0]


def test_add_column_with_a_volatile_default_fills_every_row_without_a_rewrite(tmp_path, dsn, db):
    d = base_project(tmp_path)
    cli = Cli(dsn, d)
    cli("migrate", "-q")
    node = db.execute("SELECT pg_relation_filenode('app.orders')").fetchone()[0]
    new(cli, "token", "add-column", ["--set", "table=app.orders", "--set", "column=token", "--set", "type=uuid",
                                      "--set", "default=gen_random_uuid()", "--set", "batch_size=1000"])
    text = (d / "migrations/0002_token.sql").read_text()
    assert text.startswith("-- schemadb:no-transaction\n-- written by: schemadb new token --template add-column")
    assert "ADD COLUMN token uuid;" in text and "SET DEFAULT gen_random_uuid()" in text
    assert cli("migrate").exit_code == 0
    assert db.execute("SELECT count(*), count(token), count(DISTINCT token) FROM app.orders").fetchone() \
        == (20000, 20000, 20000)
    assert db.execute("SELECT pg_relation_filenode('app.orders')").fetchone()[0] == node  # never rewritten
    # a constant default is one statement, stored in the catalog
    new(cli, "flag", "add-column", ["--set", "table=app.orders", "--set", "column=flag", "--set", "type=boolean",
                                     "--set", "default=false"])
    text = (d / "migrations/0003_flag.sql").read_text()
    assert "schemadb:no-transaction" not in text and "ADD COLUMN flag boolean DEFAULT FALSE;" in text


def test_a_backfill_under_updates_misses_no_row(tmp_path, dsn, db):
    """Rows that the application updates while the backfill sweeps move to other pages, some behind the sweep:
    they are filled too, so the NOT NULL that follows validates."""
    d = base_project(tmp_path)
    cli = Cli(dsn, d)
    assert cli("migrate", "-q").exit_code == 0
    db.execute("INSERT INTO app.orders SELECT g, 1 + g % 3000, 'n' || g, g % 100, g % 7, 'open', now()"
               " FROM generate_series(20001, 60000) g")
    new(cli, "token", "add-column", ["--set", "table=app.orders", "--set", "column=token", "--set", "type=text",
                                     "--set", "backfill=md5(note)", "--set", "not_null=true",
                                     "--set", "batch_size=500"])
    writers = [Writer(dsn, "UPDATE app.orders SET qty = qty + 1 WHERE id = (%s * 7919) %% 60000 + 1")
               for _ in range(2)]
    for w in writers:
        w.thread.start()
    try:
        r = cli("migrate")
    finally:
        for w in writers:
            w.__exit__()
    assert r.exit_code == 0, r.output
    assert sum(w.count for w in writers) > 0 and [e for w in writers for e in w.errors] == []
    assert db.execute("SELECT count(*) FROM app.orders WHERE token IS DISTINCT FROM md5(note)").fetchone()[0] == 0


def test_change_column_type_says_what_to_deploy_between_its_steps(tmp_path, dsn, db):
    d = base_project(tmp_path)
    cli = Cli(dsn, d)
    cli("migrate", "-q")
    files = new(cli, "qty_bigint", "change-column-type", CASES["change-column-type"])
    assert [f["name"] for f in files] == ["qty_bigint", "qty_bigint_swap", "qty_bigint_contract"]
    first = (d / "migrations/0002_qty_bigint.sql").read_text()
    assert "1. this one (expand)" in first and "2. swap" in first and "Deploy first the application" in first
    assert cli("migrate", "--target", "0002").exit_code == 0
    db.execute("INSERT INTO app.orders (id, qty) VALUES (99999, 5)")  # the trigger keeps the new column in step
    assert db.execute("SELECT qty_new FROM app.orders WHERE id = 99999").fetchone()[0] == 5
    assert db.execute("SELECT count(*) FROM app.orders WHERE qty_new IS DISTINCT FROM qty").fetchone()[0] == 0
    assert cli("migrate").exit_code == 0
    assert db.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'app.orders'::regclass"
                      " AND attname = 'qty'").fetchone()[0] == "bigint"
    r = cli("rollback", "--yes", "--target", "0001")
    assert r.exit_code == 3 and "0004 qty_bigint_contract is irreversible" in r.stderr


def test_bad_variables_and_unknown_templates_write_nothing(tmp_path):
    d = base_project(tmp_path)
    cli = Cli(None, d)

    def refused(*args):
        r = cli("new", "x", *args)
        assert r.exit_code == 2 and "Traceback" not in r.output, r.output
        assert sorted(p.name for p in (d / "migrations").iterdir()) == ["0001_base.sql"]
        return r.stderr

    assert "unknown template 'nope'" in refused("--template", "nope")
    err = refused("--template", "add-index", "--set", "table=app.orders")
    assert "needs --set columns=" in err and "its variables: table, columns, name?, unique?, where?, using?" in err
    assert "has no variable 'colums'" in refused("--template", "add-index", "--set", "table=t", "--set", "colums=a")
    assert "more than schema.name" in refused("--template", "add-index", "--set", "table=a.b.c", "--set", "columns=a")
    assert "not exactly one SQL expression" in refused("--template", "add-check", "--set", "table=t",
                                                         "--set", "check=a > 0); DROP TABLE t; SELECT (1")
    assert "not a SQL expression" in refused("--template", "add-check", "--set", "table=t",
                                              "--set", "check=a > 0; DROP TABLE t")
    assert "not a SQL type" in refused("--template", "add-column", "--set", "table=t", "--set", "column=c",
                                        "--set", "type=int; DROP TABLE t")
    assert "is not true or false" in refused("--template", "add-index", "--set", "table=t", "--set", "columns=a",
                                             "--set", "unique=maybe")
    assert "on_delete must be one of" in refused("--template", "add-foreign-key", "--set", "table=t",
                                                 "--set", "columns=a", "--set", "ref_table=u",
                                                 "--set", "on_delete=explode")
    assert "use KEY=VALUE" in refused("--template", "add-index", "--set", "table")
    r = cli("new", "x", "--set", "table=t")
    assert r.exit_code == 2 and "--set needs --template" in r.stderr


def test_a_hostile_identifier_is_quoted_and_stays_a_name(tmp_path, dsn, db):
    hostile = 'x"; DROP TABLE y; --'
    d = base_project(tmp_path, 'CREATE TABLE app.y (a int);\nCREATE TABLE app."x""; DROP TABLE y; --" (a int);\n'
                               'CREATE TABLE app."a.b" (a int);\n')
    cli = Cli(dsn, d)
    assert cli("migrate", "-q").exit_code == 0
    new(cli, "hostile_idx", "add-index", ["--set", f"table=app.{hostile}", "--set", "columns=a",
                                          "--set", "name=hostile_a_idx"])
    text = (d / "migrations/0002_hostile_idx.sql").read_text()
    assert 'ON app."x""; DROP TABLE y; --" (a);' in text
    new(cli, "dotted_idx", "add-index", ["--set", 'table=app."a.b"', "--set", "columns=a"])
    assert 'CREATE INDEX CONCURRENTLY "a.b_a_idx"\n    ON app."a.b" (a);' in (d / "migrations/0003_dotted_idx.sql").read_text()
    assert cli("migrate").exit_code == 0, "each name is one identifier"
    assert db.execute("SELECT to_regclass('app.y')").fetchone()[0] is not None
    assert db.execute("SELECT count(*) FROM pg_indexes WHERE indexname IN ('hostile_a_idx', 'a.b_a_idx')"
                      ).fetchone()[0] == 2
    # a value cannot end the provenance comment's line either
    new(cli, "chk", "add-check", ["--set", "table=app.orders", "--set", "check=note <> 'a\nb'"])
    first = (d / "migrations/0004_chk.sql").read_text().splitlines()[0]
    assert first.startswith("-- written by: schemadb new chk") and "\\n" in first


def test_list_templates_and_a_project_template_that_overrides(tmp_path):
    d = base_project(tmp_path)
    r = Cli(None, d)("new", "--list-templates", "--json")
    assert r.exit_code == 0
    names = {t["name"]: t for t in json.loads(r.stdout)["templates"]}
    assert set(CASES) <= set(names)
    assert [v["name"] for v in names["add-index"]["variables"]] == ["table", "columns", "name", "unique", "where",
                                                                      "using"]
    assert all(t["description"] for t in names.values())
    (d / "templates").mkdir()
    (d / "templates/add-index.sql.j2").write_text(
        "{#\ndescription: our own index recipe\nvar table: qualified — the table\n#}\n"
        "-- @migration\nSELECT count(*) FROM {{ table | ident }};\n-- @rollback\nSELECT 1;\n")
    (d / "templates/raw.sql.j2").write_text(
        "{#\ndescription: pastes a name raw\nvar table: qualified — the table\n#}\n"
        "-- @migration\nSELECT * FROM {{ table }};\n-- @rollback\nSELECT 1;\n")
    r = Cli(None, d)("new", "--list-templates")
    assert "add-index  (project:" in r.stdout and "our own index recipe" in r.stdout
    r = Cli(None, d)("new", "mine", "--template", "add-index", "--set", "table=app.orders")
    assert r.exit_code == 0
    assert "SELECT count(*) FROM app.orders;" in (d / "migrations/0002_mine.sql").read_text()
    (d / "templates/_inner.sql.j2").write_text("{% macro m(t) %}SELECT * FROM {{ t }};{% endmacro %}\n")
    (d / "templates/_outer.sql.j2").write_text('{% import "_inner.sql.j2" as inner %}'
                                               "{% macro m(t) %}{{ inner.m(t) }}{% endmacro %}\n")
    (d / "templates/nested.sql.j2").write_text(
        '{#\ndescription: a raw name two imports down\nvar table: qualified — the table\n#}\n'
        '{% import "_outer.sql.j2" as outer %}\n-- @migration\n{{ outer.m(table) }}\n-- @rollback\nSELECT 1;\n')
    r = Cli(None, d)("new", "nested", "--template", "nested", "--set", "table=app.orders")
    assert r.exit_code == 2 and "in _inner.sql.j2" in r.stderr and "without a SQL filter" in r.stderr, r.output
    r = Cli(None, d)("new", "raw", "--template", "raw", "--set", "table=app.orders")
    assert r.exit_code == 2 and "raw.sql.j2:6: prints a value (Name) without a SQL filter" in r.stderr
    assert not (d / "migrations/0003_raw.sql").exists()


def test_lint_fixes_name_the_template_with_the_values(tmp_path):
    d = write_set(tmp_path / "q", {
        "migrations/0001_t.sql": "CREATE TABLE public.orders (id int, note text);\n",
        "rollback/0001_t.sql": "DROP TABLE public.orders;\n",
        "migrations/0002_i.sql": "CREATE INDEX orders_note_idx ON public.orders (note);\n",
        "rollback/0002_i.sql": "DROP INDEX public.orders_note_idx;\n"})
    r = Cli(None, d)("lint", "--json")
    fix = [f for f in json.loads(r.stdout)["findings"] if f["rule"] == "require-concurrent-index-creation"][0]["fix"]
    assert "schemadb new orders_note_idx --template add-index --set table=public.orders --set columns=note" in fix


def test_a_partitioned_table_from_the_template_gets_its_months_and_its_retention(tmp_path, ref_dsn, ref):
    import shutil

    from conftest import ROOT

    d = tmp_path / "ref"
    shutil.copytree(ROOT / "migrations", d / "migrations")
    shutil.copytree(ROOT / "rollback", d / "rollback")
    cli = Cli(ref_dsn, d)
    new(cli, "events", "create-partitioned-table", ["--set", "table=metrics.events", "--set", "retention=30"])
    r = cli("migrate")
    assert r.exit_code == 0, r.output
    ref.execute("INSERT INTO metrics.events (created_at) VALUES ('2027-03-20')")  # lands in the default partition
    moved_id = ref.execute("SELECT id FROM metrics.events").fetchone()[0]
    r = cli("partitions", "ensure", "--table", "metrics.events", "--ahead", "2", "--json",
            env={"SCHEMADB_NOW": "2027-03-15"})
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["tables"][0]["created"] == ["events_y2027m03", "events_y2027m04", "events_y2027m05"]
    assert ref.execute("SELECT tableoid::regclass::text, id FROM metrics.events").fetchone() == (
        "metrics.events_y2027m03", moved_id)  # moved into its month with its identity value
    assert ref.execute("SELECT retention_days, delete_enabled FROM config.data_retention_policies"
                       " WHERE schema_name = 'metrics' AND table_name = 'events'").fetchone() == (30, True)
    r = cli("rollback")
    assert r.exit_code == 0, r.output
    assert ref.execute("SELECT to_regclass('metrics.events')").fetchone()[0] is None
    assert ref.execute("SELECT count(*) FROM config.data_retention_policies WHERE table_name = 'events'"
                       ).fetchone()[0] == 0


# --- CREATE INDEX CONCURRENTLY on a partitioned table -------------------------------------------------------------

PARTITIONED = """CREATE TABLE public.ev (id bigint GENERATED ALWAYS AS IDENTITY, created_at timestamptz NOT NULL,
                        note text, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);
CREATE TABLE public.ev_default PARTITION OF public.ev DEFAULT;
CREATE TABLE public.ev_y2026m01 PARTITION OF public.ev FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE public.ev_y2026m02 PARTITION OF public.ev FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE TABLE public.ev_y2026m03 PARTITION OF public.ev FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
CREATE TABLE public.ev_y2026m04 PARTITION OF public.ev FOR VALUES FROM ('2026-04-01') TO ('2026-05-01');
CREATE TABLE public.ev_y2026m05 PARTITION OF public.ev FOR VALUES FROM ('2026-05-01') TO ('2026-06-01');
CREATE TABLE public.ev_y2026m06 PARTITION OF public.ev FOR VALUES FROM ('2026-06-01') TO ('2026-07-01');
INSERT INTO public.ev (created_at, note)
  SELECT '2026-01-01'::timestamptz + (g % 181) * interval '1 day', 'n' || g FROM generate_series(1, 60000) g;
"""


def partitioned_project(tmp_path, **extra):
    return write_set(tmp_path / "pp", {"migrations/0001_ev.sql": PARTITIONED, "rollback/0001_ev.sql": "DROP TABLE public.ev;\n",
                                       **extra})


def index_tree(db, name="ev_note_idx"):
    return db.execute("SELECT count(*), bool_and(x.indisvalid) FROM pg_partition_tree(%s::regclass) t"
                      " JOIN pg_index x ON x.indexrelid = t.relid", (name,)).fetchone()


def test_partitioned_index_is_built_partition_by_partition_while_inserts_go_on(tmp_path, dsn, db):
    d = partitioned_project(tmp_path)
    cli = Cli(dsn, d)
    assert cli("migrate", "-q").exit_code == 0
    new(cli, "ev_note", "add-index", ["--set", "table=public.ev", "--set", "columns=note"])
    insert = "INSERT INTO public.ev (created_at, note) VALUES ('2026-03-05'::timestamptz + %s * interval '1 s', 'w')"
    with Writer(dsn, insert) as w:
        r = cli("migrate")
    assert r.exit_code == 0, r.output
    assert "index ev_note_idx: partition 1 of 7 (public.ev_default)" in r.stdout
    assert "partition 7 of 7 (public.ev_y2026m06)" in r.stdout
    assert index_tree(db) == (8, True)  # the parent's and the seven partitions', all valid
    assert w.count > 0 and not w.errors
    # a partition created afterwards gets the index from PostgreSQL
    db.execute("CREATE TABLE public.ev_y2026m07 PARTITION OF public.ev FOR VALUES FROM ('2026-07-01') TO ('2026-08-01')")
    assert index_tree(db) == (9, True)
    # the rollback (DROP INDEX CONCURRENTLY, which PostgreSQL refuses for a partitioned index) drops it
    r = cli("rollback")
    assert r.exit_code == 0, r.output
    assert db.execute("SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%note%'").fetchone()[0] == 0


def test_a_unique_partitioned_index_without_the_partition_key_is_refused_clearly(tmp_path, dsn, db):
    d = partitioned_project(tmp_path, **{
        "migrations/0002_u.sql": "-- schemadb:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY ev_note_key ON public.ev (note);\n",
        "rollback/0002_u.sql": "-- schemadb:no-transaction\nDROP INDEX CONCURRENTLY public.ev_note_key;\n"})
    r = Cli(dsn, d)("migrate")
    assert r.exit_code == 1
    assert "0002_u.sql:2:1: [0A000] the UNIQUE index ev_note_key on partitioned table public.ev must include its " \
           "partition key (created_at)" in r.stderr
    assert db.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'ev%note_key'").fetchone()[0] == 0


@pytest.mark.slow
def test_a_killed_partitioned_build_resumes_at_the_partition_where_it_stopped(tmp_path, dsn, db):
    d = partitioned_project(tmp_path)
    cli = Cli(dsn, d)
    assert cli("migrate", "-q").exit_code == 0
    new(cli, "ev_note", "add-index", ["--set", "table=public.ev", "--set", "columns=note"])
    writer = psycopg.connect(dsn)  # an open writer on the third partition: its build waits for it
    # (straight into the partition: the parent's brief ShareLock for CREATE INDEX … ON ONLY is not in its way)
    writer.execute("INSERT INTO public.ev_y2026m02 (id, created_at, note) VALUES (-1, '2026-02-02', 'open')")
    try:
        proc = spawn(["migrate"], dsn, d)
        deadline = time.monotonic() + 60
        seen = ""
        while "partition 3 of 7" not in seen:
            assert time.monotonic() < deadline, seen
            seen += proc.stdout.readline()
        while "lock timeout" not in seen:  # its build is waiting behind the writer, retrying
            assert time.monotonic() < deadline, seen
            seen += proc.stdout.readline()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        writer.rollback()
        writer.close()
    done = db.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.ev_note_idx'::regclass").fetchone()[0]
    assert done == 2  # the default partition and January: built and attached before the kill
    r = cli("migrate")
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if "partition " in ln and " of 7" in ln]
    assert lines[0].strip().startswith("index ev_note_idx: partition 3 of 7 (public.ev_y2026m02)"), r.stdout
    assert index_tree(db) == (8, True)
    assert db.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'ev%note%' AND relkind = 'i'").fetchone()[0] == 7
