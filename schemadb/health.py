"""`schemadb health`: a probe for monitoring. Exit 0 healthy, 1 degraded, 2 unreachable.

Checks: the server answers (round-trip latency, version); the schema is up to date (no pending, changed or
missing migration); next month's partitions exist; materialized views were refreshed recently;
Redis answers (latency) when SCHEMADB_REDIS_URL is set.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field

from psycopg import sql

from .config import Settings
from .errors import ConnectError

DEFAULT_MAX_VIEW_AGE_S = 24 * 3600


@dataclass
class HealthResult:
    status: str = "healthy"  # healthy | degraded | unreachable
    checks: list[dict] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str, **extra) -> None:
        self.checks.append({"name": name, "ok": ok, "detail": detail, **extra})
        if not ok and self.status == "healthy":
            self.status = "degraded"

    @property
    def exit_code(self) -> int:
        return {"healthy": 0, "degraded": 1, "unreachable": 2}[self.status]

    def to_json(self) -> dict:
        return {"command": "health", "status": self.status, "checks": self.checks}


def health(settings: Settings, max_view_age_s: int = DEFAULT_MAX_VIEW_AGE_S) -> HealthResult:
    from . import db, partitions, runner
    from .history import History
    from .migrations import scan
    from .resources import read_sql

    result = HealthResult()
    try:
        t = time.perf_counter()
        conn = db.connect(settings, "health")
        connect_ms = (time.perf_counter() - t) * 1000
    except ConnectError as e:
        result.status = "unreachable"
        result.checks.append({"name": "database", "ok": False, "detail": e.message})
        _redis(result)
        return result
    try:
        rtts = []
        for _ in range(5):
            t = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            rtts.append((time.perf_counter() - t) * 1000)
        version, standby, read_only = conn.execute(
            "SELECT current_setting('server_version'), pg_is_in_recovery(),"
            " current_setting('default_transaction_read_only') = 'on'").fetchone()
        result.add("database", True, f"PostgreSQL {version}; round trip {statistics.median(rtts):.2f} ms "
                   f"(connect {connect_ms:.1f} ms)", latency_ms=round(statistics.median(rtts), 3),
                   server_version=version)
        if standby or read_only:
            result.add("primary", False, "a standby (in recovery): migrate and the cron commands need the primary"
                       if standby else "the server takes no writes (default_transaction_read_only is on)",
                       standby=standby)

        history = History(settings)
        entries = runner.entries_of(scan(runner.directory_of(settings)), history.applied(conn), history.progress(conn))
        counts = {k: sum(1 for e in entries if e.state == k) for k in ("applied", "pending", "changed", "missing")}
        bad = counts["pending"] + counts["changed"] + counts["missing"]
        result.add("migrations", bad == 0, f"{counts['applied']} applied, {counts['pending']} pending, "
                   f"{counts['changed']} changed, {counts['missing']} missing", **counts)

        if conn.execute("SELECT to_regprocedure('core.partition_months(regclass)') IS NOT NULL"
                        ).fetchone()[0]:
            chk = partitions.check(conn, min_ahead=1)
            missing = [p for p in chk.problems if "no partition for" in p]
            default_rows = sum(t.default_rows for t in chk.tables)
            result.add("partitions", not missing,
                       "; ".join(missing) if missing else
                       f"{len(chk.tables)} tables have this and next month's partitions"
                       + (f" ({default_rows} row(s) wait in default partitions)" if default_rows else ""))

        refreshes = history.ids["refreshes"]
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (refreshes.as_string(conn),)).fetchone()[0]
        views = conn.execute(sql.SQL(read_sql("queries", "view_freshness.sql")).format(refreshes=refreshes), {}
                             ).fetchall() if exists else conn.execute(
            "SELECT format('%I.%I', n.nspname, c.relname), NULL, NULL FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND n.nspname NOT IN ('pg_catalog')").fetchall()
        if views:
            stale = [v for v, _at, age in views if age is not None and age > max_view_age_s]
            never = [v for v, at, _age in views if at is None]
            parts = [f"{v} refreshed {age // 60} min ago" for v, at, age in views if at is not None]
            parts += [f"{v} never refreshed by schemadb refresh-views" for v in never]
            result.add("materialized views", not stale, "; ".join(parts),
                       stale=stale, never_refreshed=never)
    finally:
        conn.close()
    _redis(result)
    return result


def _redis(result: HealthResult) -> None:
    url = os.environ.get("SCHEMADB_REDIS_URL")
    if not url:
        return
    import redis

    from .config import check_redis_url, redact
    from .errors import ConfigError

    try:
        check_redis_url(url)
    except ConfigError as e:
        result.add("redis", False, e.message)
        return
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        rtts = []
        for _ in range(5):
            t = time.perf_counter()
            client.ping()
            rtts.append((time.perf_counter() - t) * 1000)
        result.add("redis", True, f"ping {statistics.median(rtts):.2f} ms", latency_ms=round(statistics.median(rtts), 3))
    except redis.RedisError as e:
        result.add("redis", False, redact(f"{redact(url)}: {e}"))
