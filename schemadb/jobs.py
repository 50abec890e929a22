"""Shared by the cron commands (partitions, archive, refresh-views, maintenance): one instance at a
time per command, through a session-level advisory lock; a second instance is Skipped (exit 0)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from . import locks
from .config import Settings
from .db import AdvisoryLock, connect
from .errors import Skipped
from .resources import read_sql


@contextmanager
def cron_session(settings: Settings, command: str, wait: float = 0.0):
    conn = connect(settings, command, writable=True)
    lock = AdvisoryLock(conn, f"cron:{command}")
    try:
        holder = lock.try_or_wait(wait)
        if holder is not None:
            who = f"pid {holder.get('pid')} ({holder.get('application_name')}, since {holder.get('backend_start')})"
            raise Skipped(f"schemadb {command} skipped: another instance is running, {who}", holder)
        yield conn
    finally:
        lock.release()
        conn.close()


# --- refresh-views ------------------------------------------------------------------------------

@dataclass
class JobResult:
    command: str
    items: list[dict] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.items)

    def to_json(self) -> dict:
        return {"command": self.command, "items": self.items}


def dependency_order(views: list[dict]) -> list[dict]:
    """Materialized views ordered so that each comes after the views it reads."""
    by_name = {v["view"]: v for v in views}
    done: list[dict] = []
    seen: set[str] = set()

    def visit(v: dict, path: tuple = ()) -> None:
        if v["view"] in seen:
            return
        for dep in v["depends_on"]:
            if dep in by_name and dep not in path:
                visit(by_name[dep], path + (v["view"],))
        seen.add(v["view"])
        done.append(v)

    for v in views:
        visit(v)
    return done


def refresh_views(conn: psycopg.Connection, settings: Settings, concurrently: bool, emit=None) -> JobResult:
    with conn.cursor(row_factory=dict_row) as cur:
        views = cur.execute(read_sql("queries", "materialized_views.sql"), {}).fetchall()
    from .history import History

    history = History(settings)
    conn.execute(history.q("view_refreshes_create"))
    result = JobResult("refresh-views")
    retry = locks.from_settings(settings, emit, command="refresh-views")
    try:
        for v in dependency_order(views):
            _refresh(conn, history, retry, v, concurrently, result, emit)
    finally:
        retry.close()
    return result


def _refresh(conn, history, retry, v: dict, concurrently: bool, result: JobResult, emit) -> None:
    conc = concurrently and v["populated"] and v["has_unique_index"]
    stmt = sql.SQL("REFRESH MATERIALIZED VIEW {c}{v}").format(
        c=sql.SQL("CONCURRENTLY " if conc else ""), v=sql.Identifier(v["schema_name"], v["name"]))
    started = time.monotonic()
    def work(s=stmt, v=v, conc=conc, started=started):
        conn.execute(s)
        ms = int((time.monotonic() - started) * 1000)
        conn.execute(history.q("view_refreshes_upsert", view_name=v["view"], duration_ms=ms, concurrently=conc))
        return ms

    ms = locks.in_transaction(conn, retry, work, f"refresh {v['view']}")
    item = {"view": v["view"], "concurrently": conc, "ms": ms}
    result.items.append(item)
    if emit:
        emit("job_item", command="refresh-views", item=item)


def maintenance(conn: psycopg.Connection, analyze: bool, vacuum: bool, emit=None) -> JobResult:
    """VACUUM and/or ANALYZE of every table of the user schemas (outside any transaction)."""
    if not analyze and not vacuum:
        analyze = vacuum = True
    verb = "VACUUM (ANALYZE)" if vacuum and analyze else ("VACUUM" if vacuum else "ANALYZE")
    with conn.cursor(row_factory=dict_row) as cur:
        tables = cur.execute(read_sql("queries", "maintenance_tables.sql"), {}).fetchall()
    result = JobResult("maintenance")
    for t in tables:
        started = time.monotonic()
        conn.execute(sql.SQL("{} {}").format(sql.SQL(verb), sql.Identifier(t["schema_name"], t["name"])))
        item = {"table": f"{t['schema_name']}.{t['name']}", "operation": verb,
                "ms": int((time.monotonic() - started) * 1000)}
        result.items.append(item)
        if emit:
            emit("job_item", command="maintenance", item=item)
    return result
