"""`schemadb doctor`: sizes, unused indexes, bloat, slow statements, and the server settings that matter
for this workload against recommendations sized to the machine, each with its postgresql.conf line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import psycopg
from psycopg.rows import dict_row

from .config import Settings
from .resources import read_sql

MB = 1024 * 1024
GB = 1024 * MB
ENABLE_PG_STAT_STATEMENTS = ("pg_stat_statements is not loaded: add shared_preload_libraries = 'pg_stat_statements' "
                             "to postgresql.conf, restart the server, then run CREATE EXTENSION pg_stat_statements; "
                             "(grant pg_read_all_stats to metrics_reader to see every role's statements)")


@dataclass
class DoctorResult:
    memory_bytes: int | None
    memory_source: str
    tables: list[dict] = field(default_factory=list)
    unused_indexes: list[dict] = field(default_factory=list)
    bloat: list[dict] = field(default_factory=list)
    slow_statements: list[dict] = field(default_factory=list)
    slow_statements_note: str | None = None
    settings: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"command": "doctor", **self.__dict__}


def local_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def fmt_bytes(n: int) -> str:
    for unit, size in (("GB", GB), ("MB", MB), ("kB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f}{unit}" if value >= 10 or value == int(value) else f"{value:.1f}{unit}"
    return f"{n}B"


def conf_size(n: int) -> str:
    """A size as postgresql.conf accepts it: whole GB or MB."""
    return f"{n // GB}GB" if n % GB == 0 else f"{n // MB}MB"


def _bytes(setting: str, unit: str | None) -> int:
    mult = {"8kB": 8192, "kB": 1024, "MB": MB, "B": 1}.get(unit or "B", 1)
    return int(setting) * mult


def recommend(current: dict[str, dict], memory: int | None, pool_max: int) -> list[dict]:
    """The recommendations, pure (tested without a server)."""
    out = []

    def add(name, ok, recommended, line, why):
        out.append({"name": name, "current": current[name]["display"] if name in current else None,
                    "recommended": recommended, "ok": ok, "line": line, "why": why})

    max_conn = int(current["max_connections"]["setting"])
    if memory:
        sb = memory // 4
        cur = _bytes(current["shared_buffers"]["setting"], current["shared_buffers"]["unit"])
        add("shared_buffers", 0.15 * memory <= cur <= 0.4 * memory, conf_size(sb), f"shared_buffers = {conf_size(sb)}",
            "about 25% of the server's memory for PostgreSQL's own cache")
        ecs = memory * 3 // 4
        cur = _bytes(current["effective_cache_size"]["setting"], current["effective_cache_size"]["unit"])
        add("effective_cache_size", cur >= memory // 2, conf_size(ecs), f"effective_cache_size = {conf_size(ecs)}",
            "the planner's idea of the OS cache: about 75% of memory")
        wm = max(4 * MB, min(256 * MB, memory // 4 // max(max_conn, 1)))
        cur = _bytes(current["work_mem"]["setting"], current["work_mem"]["unit"])
        add("work_mem", wm / 2 <= cur <= wm * 2, conf_size(wm), f"work_mem = {conf_size(wm)}",
            f"per sort/hash node: a quarter of memory spread over max_connections ({max_conn})")
        mwm = max(64 * MB, min(2 * GB, memory // 20))
        cur = _bytes(current["maintenance_work_mem"]["setting"], current["maintenance_work_mem"]["unit"])
        add("maintenance_work_mem", cur >= mwm / 2, conf_size(mwm), f"maintenance_work_mem = {conf_size(mwm)}",
            "VACUUM and CREATE INDEX on the large partitions: about 5% of memory, at most 2GB")
    need = pool_max + 20
    add("max_connections", max_conn >= need, str(need), f"max_connections = {need}",
        f"the application pool ({pool_max} connections, SCHEMADB_POOL_MAX) per instance, plus 20 for "
        "cron, migrations and administration (or put PgBouncer in front)")
    add("autovacuum", current["autovacuum"]["setting"] == "on", "on", "autovacuum = on",
        "dead rows of the mutable tables and statistics of the partitions")
    isf = float(current["autovacuum_vacuum_insert_scale_factor"]["setting"])
    add("autovacuum_vacuum_insert_scale_factor", isf <= 0.1, "0.05", "autovacuum_vacuum_insert_scale_factor = 0.05",
        "the append-only partitions (audit, messages, metrics) are vacuumed for their inserts, keeping the visibility "
        "map current for index-only scans and freezing rows before they are archived")
    add("wal_level", current["wal_level"]["setting"] in ("replica", "logical"), "replica", "wal_level = replica",
        "point-in-time recovery and replicas need at least replica")
    archiving = current["archive_mode"]["setting"] in ("on", "always") and current["archive_command"]["setting"] \
        not in ("", "(disabled)")
    add("archive_mode", archiving, "on (with archive_command)",
        "archive_mode = on\narchive_command = 'test ! -f /var/lib/postgresql/wal_archive/%f && "
        "cp %p /var/lib/postgresql/wal_archive/%f'",
        "WAL archiving is what point-in-time recovery replays (see the recovery runbook)")
    add("jit", current["jit"]["setting"] == "off", "off", "jit = off",
        "short OLTP queries pay JIT compilation (measured 14 ms on the agent status summary) and gain nothing")
    return out


def doctor(conn: psycopg.Connection, settings: Settings, memory: int | None = None) -> DoctorResult:
    source = "given (--memory)"
    if memory is None:
        host = conn.info.host or ""
        if host in ("localhost", "127.0.0.1", "::1") or host.startswith("/"):
            memory, source = local_memory(), "this machine (the server is local)"
        else:
            source = "unknown: pass --memory with the server's RAM for the memory settings"
    result = DoctorResult(memory, source)
    with conn.cursor(row_factory=dict_row) as cur:
        result.tables = cur.execute(read_sql("queries", "doctor_tables.sql"), {}).fetchall()
        result.unused_indexes = cur.execute(read_sql("queries", "doctor_unused_indexes.sql"), {}).fetchall()
        result.bloat = cur.execute(read_sql("queries", "doctor_bloat.sql"), {}).fetchall()
        current = {r["name"]: r for r in cur.execute(read_sql("queries", "doctor_settings.sql")).fetchall()}
    try:
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            if cur.execute("SELECT to_regproc('metrics.statement_stats') IS NOT NULL AS ok").fetchone()["ok"]:
                result.slow_statements = cur.execute(
                    "SELECT left(query, 200) AS query, calls, round(mean_exec_time::numeric, 2) AS mean_ms,"
                    " round(total_exec_time::numeric, 0) AS total_ms FROM metrics.statement_stats(0) LIMIT 10"
                ).fetchall()
            loaded = cur.execute("SELECT count(*) > 0 AS ok FROM pg_extension WHERE extname = 'pg_stat_statements'"
                                 ).fetchone()["ok"]
    except psycopg.Error:
        loaded = False
    if not loaded or not result.slow_statements and "pg_stat_statements" not in current[
            "shared_preload_libraries"]["setting"]:
        result.slow_statements_note = ENABLE_PG_STAT_STATEMENTS
    pool_max = int(os.environ.get("SCHEMADB_POOL_MAX", "100"))
    result.settings = recommend(current, memory, pool_max)
    return result
