"""partitions ensure / check / list against the reference schema, with SCHEMADB_NOW."""

import json

from conftest import Cli

PARENTS = ["audit.audit_logs", "core.agent_messages", "core.agent_outputs", "core.test_results",
           "metrics.performance_metrics", "metrics.system_health_metrics", "metrics.usage_metrics"]


def partitions_of(conn, parent):
    return sorted(r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
        (parent,)))


def test_ensure_finds_every_partitioned_table_and_is_idempotent(ref_dsn, ref):
    cli = Cli(ref_dsn, None)
    env = {"SCHEMADB_NOW": "2027-12-15"}  # the year boundary: 2027-12 .. 2028-03
    r = cli("partitions", "ensure", "--json", env=env)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [t["table"] for t in doc["tables"]] == PARENTS  # from the catalogue, archive excluded
    assert doc["months"] == ["2027-12", "2028-01", "2028-02", "2028-03"]
    assert doc["created"] == 4 * 7
    assert {"audit_logs_y2027m12", "audit_logs_y2028m01", "audit_logs_y2028m02", "audit_logs_y2028m03"} <= set(
        partitions_of(ref, "audit.audit_logs"))
    r = cli("partitions", "ensure", env=env)
    assert r.exit_code == 0
    assert r.stdout.strip().splitlines()[-1] == "nothing to do: 7 table(s) have every partition for 2027-12..2028-03"
    r = cli("partitions", "ensure", "-q", env=env)
    assert r.exit_code == 0 and r.stdout == ""  # cron mails nothing


def test_leap_year_and_behind(ref_dsn, ref):
    r = Cli(ref_dsn, None)("partitions", "ensure", "--ahead", "1", "--behind", "2", "--table", "metrics.usage_metrics",
                           "--json", env={"SCHEMADB_NOW": "2028-02-29"})
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["months"] == ["2027-12", "2028-01", "2028-02", "2028-03"]
    assert [t["table"] for t in doc["tables"]] == ["metrics.usage_metrics"]
    bound = ref.execute("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'usage_metrics_y2028m02'"
                        ).fetchone()[0]
    assert bound == "FOR VALUES FROM ('2028-02-01 00:00:00+00') TO ('2028-03-01 00:00:00+00')"


def test_rows_in_the_default_partition_move_into_their_new_month(ref_dsn, ref):
    for ts in ("2029-05-01 00:00:00+00", "2029-05-31 23:59:59+00", "2029-06-01 00:00:00+00"):
        ref.execute("INSERT INTO core.agent_outputs (created_at, agent_id, output_type, content)"
                    " VALUES (%s, 'de000000-0000-4000-8000-000000000031', 'log', 'future')", (ts,))
    assert ref.execute("SELECT count(*) FROM core.agent_outputs_default").fetchone()[0] == 3
    cli = Cli(ref_dsn, None)
    r = cli("partitions", "check", env={"SCHEMADB_NOW": "2029-05-10"})
    assert r.exit_code == 1
    assert "core.agent_outputs_default: the default partition holds 3 row(s)" in r.stdout
    assert "audit.audit_logs: no partition for 2029-05" in r.stdout
    r = cli("partitions", "ensure", "--dry-run", "--ahead", "0", "--table", "core.agent_outputs",
            env={"SCHEMADB_NOW": "2029-05-10"})
    assert "would create agent_outputs_y2029m05; would move 2 row(s)" in r.stdout
    assert ref.execute("SELECT count(*) FROM core.agent_outputs_default").fetchone()[0] == 3  # dry run
    r = cli("partitions", "ensure", "--ahead", "1", "--table", "core.agent_outputs", env={"SCHEMADB_NOW": "2029-05-10"})
    assert r.exit_code == 0
    assert "created agent_outputs_y2029m05, agent_outputs_y2029m06; moved 3 row(s) out of the default partition" in r.stdout
    where = dict(ref.execute("SELECT created_at::text, tableoid::regclass::text FROM core.agent_outputs"
                             " WHERE content = 'future'").fetchall())
    assert sorted(where.values()) == ["core.agent_outputs_y2029m05", "core.agent_outputs_y2029m05",
                                      "core.agent_outputs_y2029m06"]
    assert ref.execute("SELECT count(*) FROM core.agent_outputs_default").fetchone()[0] == 0


def test_check_passes_and_list_flags_the_missing_month(ref_dsn):
    cli = Cli(ref_dsn, None)
    r = cli("partitions", "check")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("ok: 7 table(s)")
    r = cli("partitions", "list", "--json", env={"SCHEMADB_NOW": "2031-01-01"})
    doc = json.loads(r.stdout)
    assert all(t["next_month_missing"] for t in doc["tables"])
    assert all(any(p["bounds"] == "DEFAULT" for p in t["partitions"]) for t in doc["tables"])
    r = cli("partitions", "list", "--table", "core.agent_outputs")
    assert "core.agent_outputs_default" in r.stdout and "missing" not in r.stdout.splitlines()[0]


def test_unknown_table_and_unmigrated_database(ref_dsn, dsn):
    assert Cli(ref_dsn, None)("partitions", "ensure", "--table", "core.tasks").exit_code == 2
    r = Cli(dsn, None)("partitions", "ensure")
    assert r.exit_code == 3 and "migrate the reference schema first" in r.stderr


LONG = "events_of_the_agent_platform_kept_for_a_long_while_monthly"  # 58 bytes: _yYYYYmMM would not fit


def test_long_table_names_get_distinct_partition_names_that_fit(ref_dsn, ref):
    ref.execute(f"CREATE TABLE core.{LONG} (id bigint, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at)")
    ref.execute(f"CREATE TABLE core.long_default PARTITION OF core.{LONG} DEFAULT")
    cli = Cli(ref_dsn, None)
    env = {"SCHEMADB_NOW": "2027-11-15"}
    r = cli("partitions", "ensure", "--table", f"core.{LONG}", "--json", env=env)
    assert r.exit_code == 0, r.output
    created = json.loads(r.stdout)["tables"][0]["created"]
    assert len(created) == 4 and len(set(created)) == 4
    assert all(len(n.encode()) <= 63 and n.endswith(m) for n, m in zip(
        created, ["_y2027m11", "_y2027m12", "_y2028m01", "_y2028m02"], strict=True))
    assert sorted(created) == sorted(n for n in partitions_of(ref, f"core.{LONG}") if n != "long_default")
    for month in ("2027-11-20", "2027-12-20", "2028-01-20", "2028-02-20"):  # every month has its partition
        ref.execute(f"INSERT INTO core.{LONG} VALUES (1, %s)", (month,))  # noqa: S608
    assert ref.execute("SELECT count(*) FROM core.long_default").fetchone()[0] == 0
    r = cli("partitions", "check", "--table", f"core.{LONG}", "--min-ahead", "3", env=env)
    assert r.exit_code == 0, r.output
    r = cli("partitions", "ensure", "--table", f"core.{LONG}", env=env)
    assert r.stdout.strip().endswith("have every partition for 2027-11..2028-02")
    listed = json.loads(cli("partitions", "list", "--table", f"core.{LONG}", "--json", env=env).stdout)
    assert listed["tables"][0]["next_month_missing"] is False


def test_a_partition_is_found_by_its_bounds_whatever_its_name(ref_dsn, ref):
    ref.execute("CREATE TABLE core.agent_outputs_handmade PARTITION OF core.agent_outputs"
                " FOR VALUES FROM ('2031-05-01 00:00:00+00') TO ('2031-06-01 00:00:00+00')")
    r = Cli(ref_dsn, None)("partitions", "ensure", "--table", "core.agent_outputs", "--ahead", "0", "--json",
                           env={"SCHEMADB_NOW": "2031-05-10"})
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["tables"][0]["created"] == []


def test_creating_next_month_does_not_wait_for_an_open_writer_of_the_parent(ref_dsn, ref):
    """ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent, which an open INSERT does not block."""
    import datetime as dt

    import psycopg

    now = dt.datetime.now(dt.UTC)
    writer = psycopg.connect(ref_dsn)
    writer.execute("INSERT INTO metrics.performance_metrics (metric_type, metric_name, metric_value, created_at)"
                   " VALUES ('w', 'w', 1, %s)", (now,))  # an open transaction writing into this month
    try:
        r = Cli(ref_dsn, None)("partitions", "ensure", "--table", "metrics.performance_metrics", "--ahead", "6",
                               "--lock-retry-for", "2s", "--json")
        assert r.exit_code == 0, r.output
        assert len(json.loads(r.stdout)["tables"][0]["created"]) >= 1
    finally:
        writer.rollback()
        writer.close()
