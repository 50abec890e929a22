"""The history table (default public.schema_migrations) and its log table (<history>_log).

All statements come from sql/internal/*.sql, composed with psycopg.sql: identifiers through
Identifier, values through Literal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from .config import Settings
from .resources import read_sql


@cache
def _template(name: str) -> sql.SQL:
    return sql.SQL(read_sql("internal", f"{name}.sql"))


@dataclass(frozen=True)
class Applied:
    version: str
    name: str
    checksum: str
    rollback_checksum: str | None
    applied_at: datetime
    applied_by: str
    duration_ms: int | None
    transactional: bool

    @property
    def key(self) -> int:
        return int(self.version)


@dataclass(frozen=True)
class Progress:
    """An unfinished no-transaction run: statements_done statements already committed."""

    log_id: int
    version: str
    action: str
    checksum: str | None
    statements_done: int
    done_checksum: str | None
    error: str | None


class History:
    def __init__(self, settings: Settings):
        schema, table = settings.history
        self.schema = schema
        self.table = table
        self.ids = {
            "history": sql.Identifier(schema, table),
            "log": sql.Identifier(schema, f"{table}_log"),
            "log_version_idx": sql.Identifier(f"{table}_log_version_idx"),
            "refreshes": sql.Identifier(schema, "schemadb_view_refreshes"),
        }
        self.qualified = f"{schema}.{table}"

    def q(self, statement: str, /, **values) -> sql.Composed:
        """Statement `name` from sql/internal with the history identifiers and literal values."""
        args = {k: v if isinstance(v, sql.Composable) else sql.Literal(v) for k, v in values.items()}
        return _template(statement).format(**self.ids, **args)

    def exists(self, conn: psycopg.Connection) -> bool:
        row = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
            (self._regclass(self.table), self._regclass(f"{self.table}_log")),
        ).fetchone()
        return bool(row[0])

    def _regclass(self, table: str) -> str:
        return sql.Identifier(self.schema, table).as_string(None)

    def ensure(self, conn: psycopg.Connection) -> None:
        """Create the tables when missing (call under the runner's advisory lock)."""
        if self.exists(conn):
            return
        with conn.transaction():
            exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            conn.execute(self.q("history_create"))

    def applied(self, conn: psycopg.Connection) -> dict[int, Applied]:
        if not self.exists(conn):
            return {}
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(self.q("history_select")).fetchall()
        return {int(r["version"]): Applied(**r) for r in rows}

    def progress(self, conn: psycopg.Connection) -> dict[tuple[int, str], Progress]:
        """Unfinished no-transaction runs, keyed by (version, action)."""
        if not self.exists(conn):
            return {}
        out = {}
        with conn.cursor(row_factory=dict_row) as cur:
            for r in cur.execute(self.q("progress_select")).fetchall():
                if r["outcome"] == "ok" or not r["statements_done"]:
                    continue
                out[(int(r["version"]), r["action"])] = Progress(
                    log_id=r["id"], version=r["version"], action=r["action"], checksum=r["checksum"],
                    statements_done=r["statements_done"], done_checksum=r["done_checksum"], error=r["error"],
                )
        return out

    def recent_log(self, conn: psycopg.Connection, limit: int = 20) -> list[dict]:
        if not self.exists(conn):
            return []
        with conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(self.q("log_recent", limit=limit)).fetchall()

    def log(self, conn: psycopg.Connection, **values) -> int:
        row = conn.execute(self.q("log_insert", **log_values(values))).fetchone()
        return int(row[0])


LOG_FIELDS = (
    "run_id", "action", "version", "name", "checksum", "outcome", "duration_ms", "transactional",
    "statements_done", "statements_total", "done_checksum", "error", "backup_file",
)


def log_values(values: dict) -> dict:
    unknown = set(values) - set(LOG_FIELDS)
    if unknown:
        raise TypeError(f"unknown log fields {unknown}")
    return {k: values.get(k) for k in LOG_FIELDS}
