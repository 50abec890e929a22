"""archive, refresh-views and maintenance against the reference schema, with SCHEMADB_NOW."""

import json
import os
import signal
import time

import psycopg
import pytest

from schemadb.db import lock_key

from conftest import Cli, spawn

AGENT = "de000000-0000-4000-8000-000000000031"
NOW = "2030-06-15"


def ensure(cli, behind=24):
    r = cli("partitions", "ensure", "--behind", str(behind), "--ahead", "1", env={"SCHEMADB_NOW": NOW})
    assert r.exit_code == 0, r.output


def add_outputs(conn, stamps):
    conn.execute("INSERT INTO core.agent_outputs (created_at, agent_id, output_type, content)"
                 " SELECT t, %s, 'log', 'aged' FROM unnest(%s::timestamptz[]) t", (AGENT, stamps))


def test_partitioned_source_moves_exactly_the_rows_older_than_retention(ref_dsn, ref):
    cli = Cli(ref_dsn, None)
    ensure(cli, behind=6)  # 2029-12 .. 2030-07 exist; older months fall into the default partition
    # agent_outputs keeps 90 days: cutoff 2030-03-17
    stamps = ["2029-01-10", "2029-06-30", "2029-12-05", "2030-01-20", "2030-02-28", "2030-03-16", "2030-03-18",
              "2030-05-01", "2030-06-14"]
    add_outputs(ref, stamps)
    before = ref.execute("SELECT count(*) FROM core.agent_outputs").fetchone()[0]
    old = {r[0] for r in ref.execute("SELECT id FROM core.agent_outputs WHERE created_at < '2030-03-17'")}
    r = cli("archive", "--table", "core.agent_outputs", "--json", env={"SCHEMADB_NOW": NOW})
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)["policies"][0]
    # whole months before the cutoff are moved as partitions (the template's own 2026/2027 months too,
    # oldest first); the rest of the old rows in batches
    assert rep["partitions"][-3:] == ["core.agent_outputs_y2029m12", "core.agent_outputs_y2030m01",
                                      "core.agent_outputs_y2030m02"]
    assert all(p < "core.agent_outputs_y2030m03" for p in rep["partitions"])
    assert rep["rows"] == 2  # 2029-01-10 and 2029-06-30 sat in the default partition
    live = ref.execute("SELECT count(*) FROM core.agent_outputs").fetchone()[0]
    archived = {r[0] for r in ref.execute("SELECT id FROM archive.agent_outputs")}
    assert live + ref.execute("SELECT count(*) FROM archive.agent_outputs").fetchone()[0] == before
    assert {i for i in old} - archived == {r[0] for r in ref.execute(
        "SELECT id FROM core.agent_outputs WHERE created_at < '2030-03-17'")}  # 2030-03-16 stays: its month is live
    assert ref.execute("SELECT count(*) FROM core.agent_outputs WHERE created_at < '2030-03-01'").fetchone()[0] == 0
    # zero-copy: the archived month is a partition of archive.agent_outputs, without FKs, with its rows
    assert ref.execute("SELECT inhparent::regclass::text FROM pg_inherits"
                       " WHERE inhrelid = 'archive.agent_outputs_y2030m01'::regclass").fetchone()[0] == "archive.agent_outputs"
    assert ref.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = 'archive.agent_outputs_y2030m01'::regclass"
                       " AND contype = 'f'").fetchone()[0] == 0
    row = ref.execute("SELECT last_run_at IS NOT NULL, last_run_rows, last_error FROM config.data_retention_policies"
                      " WHERE table_name = 'agent_outputs'").fetchone()
    assert row[0] and row[2] is None


def test_messages_queue_rows_cleared_and_archive_purged(ref_dsn, ref):
    cli = Cli(ref_dsn, None)
    ensure(cli, behind=8)
    ref.execute("INSERT INTO core.agent_messages (id, created_at, organization_id, message_id, sender_type,"
                " recipient_type, message_type) VALUES ('0a000000-0000-4000-8000-000000000001', '2030-01-10',"
                " 'de000000-0000-4000-8000-000000000001', 'old-1', 'system', 'broadcast', 'status.update')")
    ref.execute("INSERT INTO core.message_queue (message_id, message_created_at) VALUES"
                " ('0a000000-0000-4000-8000-000000000001', '2030-01-10')")
    # messages: 30 days live, then archived; archived ones purged after 90 days
    r = cli("archive", "--table", "core.agent_messages", "--json", env={"SCHEMADB_NOW": NOW})
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)["policies"][0]
    assert "core.agent_messages_y2030m01" in rep["partitions"]
    assert "archive.agent_messages_y2030m01" in rep["purged"]  # older than 90 days: gone
    assert "archive.agent_messages_y2030m04" not in rep["purged"]
    assert ref.execute("SELECT count(*) FROM core.message_queue WHERE message_created_at = '2030-01-10'"
                       ).fetchone()[0] == 0
    assert ref.execute("SELECT to_regclass('archive.agent_messages_y2030m04') IS NOT NULL").fetchone()[0]


def test_delete_policies_and_plain_tables(ref_dsn, ref):
    cli = Cli(ref_dsn, None)
    ensure(cli, behind=4)
    ref.execute("INSERT INTO metrics.performance_metrics (created_at, metric_type, metric_name, metric_value)"
                " VALUES ('2030-02-01', 'latency', 'x', 1), ('2030-06-01', 'latency', 'x', 1)")
    ref.execute("INSERT INTO audit.task_execution_audit (created_at, organization_id, task_id, agent_id,"
                " execution_phase, phase_status) SELECT t, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),"
                " 'run', 'completed' FROM generate_series('2028-01-01'::timestamptz, '2030-06-01', '7 days') t")
    before = ref.execute("SELECT count(*) FROM audit.task_execution_audit").fetchone()[0]
    old = ref.execute("SELECT count(*) FROM audit.task_execution_audit WHERE created_at < '2029-06-15'").fetchone()[0]
    r = cli("archive", "--batch-size", "7", env={"SCHEMADB_NOW": NOW})
    assert r.exit_code == 0, r.output
    assert "metrics.performance_metrics: dropped" in r.stdout
    assert ref.execute("SELECT count(*) FROM metrics.performance_metrics WHERE created_at < '2030-03-01'"
                       ).fetchone()[0] == 0
    assert ref.execute("SELECT to_regclass('archive.performance_metrics_y2030m02')").fetchone()[0] is None
    assert f"audit.task_execution_audit: moved {old} row(s) in batches" in r.stdout
    live = ref.execute("SELECT count(*) FROM audit.task_execution_audit").fetchone()[0]
    arch = ref.execute("SELECT count(*) FROM archive.task_execution_audit").fetchone()[0]
    assert live + arch == before and arch == old
    assert "core.agent_status_history: deleted" in r.stdout
    r = cli("archive", "-q", env={"SCHEMADB_NOW": NOW})
    assert r.exit_code == 0 and r.stdout == ""  # nothing left: cron mails nothing


def test_dry_run_changes_nothing(ref_dsn, ref):
    cli = Cli(ref_dsn, None)
    ensure(cli, behind=4)
    add_outputs(ref, ["2029-01-01", "2030-02-10"])
    snapshot = "SELECT (SELECT count(*) FROM core.agent_outputs), (SELECT count(*) FROM archive.agent_outputs)," \
               " (SELECT count(*) FROM pg_inherits), (SELECT count(*) FROM core.agent_status_history)," \
               " (SELECT array_agg(last_run_at) FROM config.data_retention_policies)"
    before = ref.execute(snapshot).fetchone()
    expired = ref.execute("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                          " WHERE i.inhparent = 'core.agent_outputs'::regclass AND c.relname < 'agent_outputs_y2030m03'"
                          " AND c.relname <> 'agent_outputs_default'").fetchone()[0]
    r = cli("archive", "--dry-run", env={"SCHEMADB_NOW": NOW})
    assert r.exit_code == 0
    assert f"core.agent_outputs: would archive {expired} partition(s)" in r.stdout
    assert "would move 1 row(s)" in r.stdout  # 2029-01-01 sits in the default partition
    assert "dry run: nothing was changed" in r.stdout
    assert ref.execute(snapshot).fetchone() == before


def test_missing_table_is_reported_and_recorded(ref_dsn, ref):
    ref.execute("INSERT INTO config.data_retention_policies (schema_name, table_name, retention_days, archive_enabled,"
                " delete_enabled) VALUES ('core', 'no_such_table', 10, false, true)")
    r = Cli(ref_dsn, None)("archive")
    assert r.exit_code == 1
    assert "core.no_such_table: error: the table does not exist; policy skipped" in r.stdout
    assert ref.execute("SELECT last_error FROM config.data_retention_policies WHERE table_name = 'no_such_table'"
                       ).fetchone()[0] == "the table does not exist; policy skipped"


def test_detach_waits_at_most_lock_timeout_then_reports(ref_dsn, ref):
    cli = Cli(ref_dsn, None)
    ensure(cli, behind=4)
    parts = "SELECT array_agg(inhrelid::regclass::text ORDER BY 1) FROM pg_inherits" \
            " WHERE inhparent = 'core.agent_outputs'::regclass"
    before = ref.execute(parts).fetchone()[0]
    blocker = psycopg.connect(ref_dsn)
    blocker.execute("SELECT count(*) FROM core.agent_outputs")  # a long reader holds ACCESS SHARE
    pid = blocker.info.backend_pid
    try:
        t = time.monotonic()
        r = cli("archive", "--table", "core.agent_outputs", "--lock-timeout", "100ms", "--retries", "1",
                env={"SCHEMADB_NOW": NOW})
        assert time.monotonic() - t < 10
    finally:
        blocker.close()
    assert r.exit_code == 1
    assert "lock timeout" in r.stdout
    assert ref.execute(parts).fetchone()[0] == before  # nothing half-done
    recorded = ref.execute("SELECT last_error FROM config.data_retention_policies"
                           " WHERE table_name = 'agent_outputs'").fetchone()[0]
    assert "could not take its locks in 2 attempt(s)" in recorded and f"pg_cancel_backend({pid})" in recorded


def test_second_instance_exits_zero_saying_so(ref_dsn, ref):
    holder = psycopg.connect(ref_dsn, autocommit=True, application_name="nightly-archive")
    holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("cron:archive"),))
    try:
        r = Cli(ref_dsn, None)("archive")
        assert r.exit_code == 0
        assert r.stdout.startswith("schemadb archive skipped: another instance is running, pid "
                                   f"{holder.info.backend_pid} (nightly-archive")
        t = time.monotonic()
        r = Cli(ref_dsn, None)("archive", "--lock-wait", "1s", "-q")
        assert r.exit_code == 0 and r.stdout == "" and time.monotonic() - t >= 1.0
    finally:
        holder.close()


@pytest.mark.slow
def test_killed_batched_archive_loses_and_duplicates_nothing(ref_dsn, ref):
    ref.execute("INSERT INTO audit.task_execution_audit (created_at, organization_id, task_id, agent_id,"
                " execution_phase, phase_status) SELECT '2028-01-01'::timestamptz + g * interval '1 second',"
                " gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'run', 'completed'"
                " FROM generate_series(1, 150000) g")
    total = ref.execute("SELECT count(*) FROM audit.task_execution_audit").fetchone()[0]
    proc = spawn(["archive", "--table", "audit.task_execution_audit", "--batch-size", "500"], ref_dsn, None,
                 env={"SCHEMADB_NOW": NOW})
    deadline = time.monotonic() + 60
    while ref.execute("SELECT count(*) FROM archive.task_execution_audit").fetchone()[0] < 5000:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.3)
    live, arch, dup = ref.execute(
        "SELECT (SELECT count(*) FROM audit.task_execution_audit), (SELECT count(*) FROM archive.task_execution_audit),"
        " (SELECT count(*) FROM audit.task_execution_audit t JOIN archive.task_execution_audit a USING (id))").fetchone()
    assert live + arch == total and dup == 0 and 0 < arch < 150000
    r = Cli(ref_dsn, None)("archive", "--table", "audit.task_execution_audit", env={"SCHEMADB_NOW": NOW})
    assert r.exit_code == 0, r.output
    live, arch = ref.execute("SELECT (SELECT count(*) FROM audit.task_execution_audit),"
                             " (SELECT count(*) FROM archive.task_execution_audit)").fetchone()
    assert live == 0 and arch == total  # the demo rows are older than the cutoff too


def test_refresh_views_and_maintenance(ref_dsn, ref):
    cli = Cli(ref_dsn, None)
    r = cli("refresh-views", "--concurrently", "--json")
    assert r.exit_code == 0, r.output
    items = json.loads(r.stdout)["items"]
    assert [(i["view"], i["concurrently"]) for i in items] == [("metrics.agent_performance_daily", True),
                                                                ("metrics.project_task_stats", True)]
    r = cli("maintenance", "--analyze", "--json")
    assert r.exit_code == 0
    ops = {i["table"]: i["operation"] for i in json.loads(r.stdout)["items"]}
    assert ops["core.tasks"] == "ANALYZE" and "audit.audit_logs" in ops
    assert ref.execute("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relid = 'core.tasks'::regclass"
                       ).fetchone()[0]
    r = cli("maintenance")
    assert r.exit_code == 0 and "core.tasks: VACUUM (ANALYZE)" in r.stdout
