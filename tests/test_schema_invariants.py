"""Views, partitions and the structural rules of the map (§7.3), on the migrated reference schema."""

import datetime as dt

import psycopg
from psycopg import sql

PARTITIONED = ["audit.audit_logs", "core.agent_outputs", "core.agent_messages", "core.test_results",
               "metrics.performance_metrics", "metrics.usage_metrics", "metrics.system_health_metrics"]


def view_columns(conn, name):
    return [r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum", (name,))]


def test_materialized_views_refresh_concurrently(ref):
    for mv in ("metrics.agent_performance_daily", "metrics.project_task_stats"):
        ref.execute(sql.SQL("REFRESH MATERIALIZED VIEW CONCURRENTLY {}").format(sql.Identifier(*mv.split("."))))
    stats = ref.execute("SELECT total_tasks, pending_tasks, active_tasks, completed_tasks, failed_tasks,"
                        " cancelled_tasks FROM metrics.project_task_stats").fetchone()
    assert stats == (8, 2, 2, 2, 1, 1)
    assert ref.execute("SELECT sum(tasks_finished) FROM metrics.agent_performance_daily").fetchone()[0] == 3


def test_views_return_the_seeds_columns(ref):
    assert view_columns(ref, "core.agent_status_summary") == [
        "agent_id", "organization_id", "handle", "name", "agent_type", "status", "last_heartbeat_at", "capabilities",
        "active_tasks", "total_results", "successful_results", "avg_execution_time_ms", "success_rate_percentage"]
    assert view_columns(ref, "core.task_performance_summary") == [
        "hour_bucket", "project_id", "agent_type", "task_type", "total_tasks", "completed_tasks", "failed_tasks",
        "avg_completion_time_seconds", "avg_confidence_score", "avg_execution_time_seconds", "total_tokens_used"]
    assert view_columns(ref, "metrics.system_usage_dashboard") == [
        "date_bucket", "daily_active_users", "daily_active_agents", "tasks_created", "tasks_completed", "api_calls",
        "mcp_calls"]
    assert "total_bytes" in view_columns(ref, "metrics.table_sizes")
    assert "idx_scan" in view_columns(ref, "metrics.index_usage")
    summary = dict(ref.execute("SELECT handle, active_tasks FROM core.agent_status_summary").fetchall())
    assert summary["demo-frontend"] == 1 and summary["demo-testing"] == 1
    assert ref.execute("SELECT sum(tasks_created) FROM metrics.system_usage_dashboard").fetchone()[0] == 8
    installed = ref.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'").fetchone()[0]
    if not installed:  # degrades to no rows, never an error
        assert ref.execute("SELECT count(*) FROM metrics.slow_queries").fetchone()[0] == 0


def test_scoped_wrappers_filter_by_tenant(ref):
    ref.execute("SET ROLE app_user")
    assert ref.execute("SELECT count(*) FROM core.project_task_stats_scoped").fetchone()[0] == 0  # no context
    ref.execute("SELECT set_config('app.current_org_id', 'de000000-0000-4000-8000-000000000001', false),"
                " set_config('app.current_user_id', 'de000000-0000-4000-8000-000000000011', false)")
    assert ref.execute("SELECT count(*) FROM core.project_task_stats_scoped").fetchone()[0] == 1
    ref.execute("RESET ROLE")


def month_start(months_from_now: int) -> dt.datetime:
    today = dt.datetime.now(dt.UTC)
    y, m = divmod(today.year * 12 + today.month - 1 + months_from_now, 12)
    return dt.datetime(y, m + 1, 1, 12, tzinfo=dt.UTC)


def test_rows_outside_existing_months_land_in_the_default_partition(ref):
    for parent in ("audit.audit_logs", "core.agent_outputs"):
        assert ref.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass",
                           (parent,)).fetchone()[0] >= 5  # default + current month + 3 ahead (+ demo's month back)
    months = [-7, -5, 0, 6, 14]
    for k in months:
        ref.execute("INSERT INTO core.agent_outputs (created_at, agent_id, output_type, content)"
                    " VALUES (%s, 'de000000-0000-4000-8000-000000000031', 'log', 'x')", (month_start(k),))
    where = dict(ref.execute(
        "SELECT created_at, tableoid::regclass::text FROM core.agent_outputs WHERE content = 'x'").fetchall())
    for k in months:
        expected = (f"core.agent_outputs_y{month_start(k):%Y}m{month_start(k):%m}" if k == 0
                    else "core.agent_outputs_default")
        assert where[month_start(k)] == expected, k
    # creating the month moves its rows out of the default partition (the partitions command's job)
    ref.execute("SELECT core.create_monthly_partition('core.agent_outputs', %s)", (month_start(-5).date(),))
    moved = ref.execute("SELECT tableoid::regclass::text FROM core.agent_outputs WHERE created_at = %s",
                        (month_start(-5),)).fetchone()[0]
    assert moved == f"core.agent_outputs_y{month_start(-5):%Y}m{month_start(-5):%m}"


def test_partition_bounds_are_utc_whatever_the_session_time_zone(ref):
    ref.execute("SET TimeZone = 'America/New_York'")
    part = ref.execute("SELECT core.create_monthly_partition('metrics.usage_metrics', '2030-01-15')::text").fetchone()[0]
    assert part == "metrics.usage_metrics_y2030m01"
    ref.execute("SET TimeZone = 'UTC'")
    bound = ref.execute("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = %s::regclass",
                        (part,)).fetchone()[0]
    assert bound == "FOR VALUES FROM ('2030-01-01 00:00:00+00') TO ('2030-02-01 00:00:00+00')"


def test_archive_tables_mirror_their_sources(ref):
    for archive, source in [("archive.audit_logs", "audit.audit_logs"), ("archive.agent_outputs", "core.agent_outputs"),
                            ("archive.agent_messages", "core.agent_messages"),
                            ("archive.test_results", "core.test_results"),
                            ("archive.usage_metrics", "metrics.usage_metrics"),
                            ("archive.task_execution_audit", "audit.task_execution_audit")]:
        cols = "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass" \
               " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        assert ref.execute(cols, (archive,)).fetchall() == ref.execute(cols, (source,)).fetchall(), archive


def test_no_app_role_has_any_privilege_on_a_partition(ref):
    rows = ref.execute(
        "SELECT c.oid::regclass::text, r.rolname FROM pg_class c"
        " CROSS JOIN pg_roles r"
        " WHERE c.relispartition AND r.rolname IN ('app_user', 'app_readonly', 'audit_reader', 'metrics_reader')"
        " AND (has_table_privilege(r.oid, c.oid, 'SELECT') OR has_table_privilege(r.oid, c.oid, 'INSERT')"
        "      OR has_table_privilege(r.oid, c.oid, 'UPDATE') OR has_table_privilege(r.oid, c.oid, 'DELETE'))"
    ).fetchall()
    assert rows == []


def test_updated_at_trigger_exactly_where_the_column_is(ref):
    rows = ref.execute(
        "SELECT c.oid::regclass::text,"
        " EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'updated_at'),"
        " EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname LIKE 'trg\\_%%\\_updated\\_at')"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname IN ('core', 'audit', 'config', 'metrics') AND c.relkind IN ('r', 'p')"
        " AND NOT c.relispartition").fetchall()
    assert [r[0] for r in rows if r[1] != r[2]] == []
    assert sum(1 for r in rows if r[2]) == 28
    audit = ref.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'trg\\_%%\\_audit' AND NOT tgisinternal"
                        " AND tgrelid IN (SELECT oid FROM pg_class WHERE NOT relispartition)").fetchone()[0]
    assert audit == 21


def test_every_fk_column_leads_an_index(ref):
    allowed = {"created_by", "invited_by", "added_by", "started_by", "assigned_to", "sender_user_id",
               "recipient_user_id", "task_type"}  # map §0.5 and §2.6
    rows = ref.execute(
        "SELECT co.conrelid::regclass::text, a.attname FROM pg_constraint co"
        " JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1]"
        " JOIN pg_class c ON c.oid = co.conrelid"
        " WHERE co.contype = 'f' AND NOT c.relispartition"
        " AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = co.conrelid AND i.indkey[0] = co.conkey[1])"
    ).fetchall()
    assert [r for r in rows if r[1] not in allowed] == []


def test_status_transition_trigger_errors_name_the_table(ref):
    try:
        ref.execute("UPDATE core.tasks SET status = 'pending' WHERE id = 'de000000-0000-4000-8000-000000000071'")
    except psycopg.errors.CheckViolation as e:
        assert (e.diag.schema_name, e.diag.table_name) == ("core", "tasks")
    else:
        raise AssertionError("completed -> pending must be refused")


def test_every_table_and_view_has_a_comment(ref):
    missing = ref.execute(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname IN ('core', 'audit', 'config', 'metrics', 'archive') AND c.relkind IN ('r', 'p', 'v', 'm')"
        " AND NOT c.relispartition AND obj_description(c.oid, 'pg_class') IS NULL").fetchall()
    assert missing == []
