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
